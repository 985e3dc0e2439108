"""newscrawl's own signals."""

# Sent with url, reason, detail and site when a fetched page cannot become a record.
page_rejected = object()

# Sent with url, reason, detail and site when a URL yields nothing for a reason other than
# rejection (a failed or refused request, a bad sitemap); the reason is its stats key under
# ``newscrawl/``, e.g. ``failed/timeout``.
page_failed = object()

# Sent with item when the feed exporter failed to write a record it took: it is a reject
# (unwritable), not delivered; the run manifest takes it out of its new or changed count.
record_unwritten = object()
