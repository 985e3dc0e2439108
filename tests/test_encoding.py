"""Decoding: declared encodings win in browser order, undeclared CJK pages are detected, and a
declaration the bytes contradict is overruled with a warning."""

from crawler.encoding import decode_html

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
