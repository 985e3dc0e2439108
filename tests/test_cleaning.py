"""Text normalisation: paragraphs stay one per line whatever the page did with indents."""

from crawler.extract.cleaning import clean_text, text_hash, word_count


def test_full_width_indents_become_paragraph_breaks():
    text = "　　第一段讲述了故事。线下支付场景　　第二段开始了。\n\n　　第三段。"
    assert clean_text(text).split("\n") == [
        "第一段讲述了故事。线下支付场景",
        "第二段开始了。",
        "第三段。",
    ]


def test_whitespace_zero_width_and_nfc():
    text = "  Cafe\u0301\u200b   au   lait \u00a0 \n\n\n second\tline "
    assert clean_text(text) == "Café au lait\nsecond line"
    # A run that opens with other spacing than a plain space, and one plain space, kept.
    assert clean_text("a\u2009 \u00a0b c\u3000d") == "a b c d"


def test_drop_phrases_remove_whole_lines():
    text = "正文第一段。\n责任编辑：李四\n正文第二段。"
    assert clean_text(text, ("责任编辑",)) == "正文第一段。\n正文第二段。"


def test_word_count_counts_cjk_characters_and_words():
    assert word_count("京东科技 JD.com is big") == 4 + 4
    assert word_count("") == 0


def test_text_hash_is_stable_and_sensitive():
    assert text_hash("a\nb") == text_hash("a\nb")
    assert text_hash("a\nb") != text_hash("a\nc")
    assert len(text_hash("x")) == 32


def test_minimum_text_counts_a_cjk_character_as_a_short_word():
    from crawler.extract.page import rejection
    from crawler.items import ArticleItem

    brief = "国家统计局今日发布数据显示，十一月份全国居民消费价格同比上涨百分之零点二。" * 2
    assert 60 < len(brief) < 100
    line = "国家统计局今日发布数据显示，物价平稳运行。" + "！" * 10
    assert 25 <= len(line) <= 35
    item = ArticleItem(url="http://a.cn/1.html", title="t", text=brief)
    assert rejection(item, 200) is None
    assert rejection(ArticleItem(url="http://a.cn/2.html", title="t", text=line), 200) == (
        "text_too_short"
    )
    # Latin text is counted as before: 100 letters are not 200.
    assert rejection(ArticleItem(url="http://a.cn/3.html", title="t", text="a" * 100), 200) == (
        "text_too_short"
    )


def test_a_record_without_a_title_is_kept_and_says_so():
    from crawler.extract.page import clean_item, rejection
    from crawler.items import ArticleItem

    item = clean_item(ArticleItem(url="http://a.cn/1.html", title="  ", text="word " * 60))
    assert item.title is None
    assert "title_missing" in item.warnings
    assert rejection(item, 200) is None
    titled = clean_item(ArticleItem(url="http://a.cn/1.html", title="T", text="word " * 60))
    assert "title_missing" not in titled.warnings


def test_a_text_cleaned_for_the_fingerprint_is_reused_only_where_sanitizing_left_it():
    from crawler.extract.page import clean_item
    from crawler.items import ArticleItem

    # page_to_record cleans the text once for the fingerprint and hands it on; a text that
    # sanitizing changes (here a line separator) is cleaned again from the sanitized text.
    item = ArticleItem(url="http://a.cn/1.html", title="T", text="First line\u2028 second  line")
    assert clean_item(item, (), cleaned="stale").text == "First line\nsecond line"
    plain = ArticleItem(url="http://a.cn/1.html", title="T", text="Plain  text ")
    assert clean_item(plain, (), cleaned="Plain text").text == "Plain text"
    assert clean_item(plain).text == "Plain text"
