"""The JSON Schema file and the record dataclass describe the same record."""

from dataclasses import asdict, replace

from crawler.items import FIELD_ORDER, SCHEMA_VERSION, ArticleItem, json_schema


def test_schema_and_dataclass_agree():
    schema = json_schema()
    assert schema["required"] == FIELD_ORDER
    assert list(schema["properties"]) == FIELD_ORDER
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_schema_1_2_types_the_dates():
    assert SCHEMA_VERSION == "1.2"
    item = ArticleItem(date_published="2022-03-01T10:22:33+08:00", date_modified="2022-03-02")
    assert (item.date_published_precision, item.published_at) == ("instant", "2022-03-01T02:22:33Z")
    assert (item.date_modified_precision, item.modified_at) == ("day", None)
    local = replace(item, date_published="2022-03-01T10:22:33", date_modified=None)
    assert (local.date_published_precision, local.published_at) == ("local", None)
    assert (local.date_modified_precision, local.modified_at) == (None, None)


def test_schema_1_1_adds_the_version_last():
    assert FIELD_ORDER[-1] == "version"
    assert ArticleItem().version == 1
    version = json_schema()["properties"]["version"]
    assert (version["type"], version["minimum"]) == ("integer", 1)


def test_an_empty_item_is_not_a_valid_record(record_validator):
    errors = {
        e.path[0] if e.path else e.validator
        for e in record_validator.iter_errors(asdict(ArticleItem()))
    }
    assert {"id", "url", "text", "site"} <= errors
