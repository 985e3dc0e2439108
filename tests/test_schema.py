"""The JSON Schema file and the record dataclass describe the same record."""

from dataclasses import asdict

from crawler.items import FIELD_ORDER, SCHEMA_VERSION, ArticleItem, json_schema


def test_schema_and_dataclass_agree():
    schema = json_schema()
    assert schema["required"] == FIELD_ORDER
    assert list(schema["properties"]) == FIELD_ORDER
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_schema_1_1_adds_the_version_last():
    assert SCHEMA_VERSION == "1.1"
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
