"""newscrawl's own signals."""

# Sent with url, reason, detail and site when a fetched page cannot become a record.
page_rejected = object()
