"""Item pipelines, in order: clean -> validate -> dedup; the feed export writes what remains."""
