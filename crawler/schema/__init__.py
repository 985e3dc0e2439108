"""The record's schema: the JSON Schema file, and what loaders need to read the output typed."""
