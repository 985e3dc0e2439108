"""The JSON Schema file and the record dataclass describe the same record."""

from dataclasses import asdict

from crawler.items import FIELD_ORDER, SCHEMA_VERSION, ArticleItem, json_schema


def test_schema_and_dataclass_agree():
    schema = json_schema()
    assert schema["required"] == FIELD_ORDER
    assert list(schema["properties"]) == FIELD_ORDER
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_an_empty_item_is_not_a_valid_record(record_validator):
    errors = {
        e.path[0] if e.path else e.validator
        for e in record_validator.iter_errors(asdict(ArticleItem()))
    }
    assert {"id", "url", "title", "text", "site"} <= errors
