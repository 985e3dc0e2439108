"""newscrawl's own signals."""

# Sent with url, reason, detail and site when a fetched page cannot become a record.
page_rejected = object()

# Sent with url, reason, detail and site when a URL yields nothing for a reason other than
# rejection (a failed or refused request, a bad sitemap); the reason is its stats key under
# ``newscrawl/``, e.g. ``failed/timeout``.
page_failed = object()
