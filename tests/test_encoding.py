"""Decoding: declared encodings win in browser order, undeclared CJK pages are detected, and a
declaration the bytes contradict is overruled with a warning."""

import pytest

from crawler.extract.encoding import decode_html

TEXT = "　　国务院总理朱镕基和王喆在会上讲话，讨论数字人民币试点工作的进展。" * 4


def page(meta: str = "") -> str:
    return f"<html><head>{meta}<title>标题</title></head><body><p>{TEXT}</p></body></html>"


def test_gbk_declared_only_in_meta_is_read_as_gb18030():
    body = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode(
        "gbk"
    )
    decoded = decode_html(body, "text/html")
    assert decoded.encoding == "gb18030"
    assert decoded.source == "meta"
    # 镕 and 喆 are outside GB2312: a strict GB2312 decoder would garble them.
    assert "朱镕基" in decoded.text and "王喆" in decoded.text
    assert decoded.warnings == ()


def test_undeclared_gbk_is_detected_not_read_as_cp1252():
    decoded = decode_html(page().encode("gbk"), "text/html")
    assert decoded.encoding == "gb18030"
    assert "朱镕基" in decoded.text
    assert "encoding_guessed" in decoded.warnings


def test_header_beats_meta():
    body = page('<meta charset="gbk">').encode("utf-8")
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert (decoded.encoding, decoded.source) == ("utf-8", "header")
    assert "朱镕基" in decoded.text


def test_bom_beats_header():
    body = "\ufeff".encode() + page().encode("utf-8")
    decoded = decode_html(body, "text/html; charset=iso-8859-1")
    assert decoded.source == "bom"
    assert "朱镕基" in decoded.text and not decoded.text.startswith("\ufeff")


def test_windows_1252_labelled_utf8_is_repaired():
    body = "<p>Café société: naïve “quotes” – résumé</p>".encode("cp1252")
    decoded = decode_html(body, "text/html; charset=utf-8")
    assert decoded.encoding == "cp1252"
    assert "Café société: naïve “quotes” – résumé" in decoded.text
    assert "encoding_mismatch" in decoded.warnings


def test_utf8_labelled_latin1_is_read_as_utf8():
    body = '<meta charset="iso-8859-1"><p>Kosovo’s café</p>'.encode()
    decoded = decode_html(body)
    assert decoded.encoding == "utf-8"
    assert "Kosovo’s café" in decoded.text
    assert "encoding_mismatch" in decoded.warnings


def test_plain_latin1_declaration_is_obeyed():
    decoded = decode_html('<meta charset="iso-8859-1"><p>café</p>'.encode("latin-1"))
    assert decoded.source == "meta"
    assert "café" in decoded.text


def test_bom_contradicting_the_header_is_flagged():
    body = "\ufeff".encode() + page().encode("utf-8")
    decoded = decode_html(body, "text/html; charset=gbk")
    assert (decoded.encoding, decoded.source) == ("utf-8", "bom")
    assert "朱镕基" in decoded.text
    assert decoded.warnings == ("encoding_mismatch",)
    assert decode_html(body, "text/html; charset=utf-8").warnings == ()


def test_undeclared_gb18030_keeps_characters_outside_gbk():
    text = "吉野家的𠮷字和𩸽鱼都在扩展汉字区。" + TEXT
    decoded = decode_html(f"<p>{text}</p>".encode("gb18030"), "text/html")
    assert decoded.encoding == "gb18030"
    assert "𠮷" in decoded.text and "𩸽" in decoded.text
    assert "encoding_guessed" in decoded.warnings


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        ("big5", "臺北市政府今天宣布，將在明年推動新的交通計畫，改善市民通勤的品質與安全。" * 6),
        ("shift_jis", "東京都は本日、来年度から新しい交通計画を推進すると発表しました。" * 6),
    ],
)
def test_undeclared_big5_and_shift_jis_are_detected(codec, text):
    decoded = decode_html(f"<p>{text}</p>".encode(codec), "text/html")
    assert text in decoded.text
    assert decoded.warnings == ("encoding_guessed",)


@pytest.mark.parametrize("foreign", ["cp1252", "gbk"])
def test_utf8_page_with_lines_in_another_encoding(foreign):
    template = "<p>Zoë Brontë’s new introduction — 2024</p>\n{}\n<p>© Gazette</p>"
    pasted = "<p>Müller’s “old” column, déjà vu</p>" if foreign == "cp1252" else f"<p>{TEXT}</p>"
    body = template.format("@@").encode().replace(b"@@", pasted.encode(foreign))
    for content_type in ("text/html; charset=utf-8", "text/html"):
        decoded = decode_html(body, content_type)
        assert decoded.encoding == "utf-8"
        assert pasted in decoded.text and "Zoë Brontë’s" in decoded.text
        assert decoded.warnings == ("encoding_mixed",)


@pytest.mark.parametrize("label", ["zlib", "base64", "hex", "rot13", "no-such-charset"])
def test_a_charset_label_that_is_no_text_encoding_is_ignored(label):
    body = f'<html><head><meta charset="{label}"></head><body><p>Grüße</p></body></html>'
    decoded = decode_html(body.encode("utf-8"), f"text/html; charset={label}")
    assert "Grüße" in decoded.text
    assert decoded.encoding == "utf-8"
