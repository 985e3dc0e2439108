"""Scrapy settings for newscrawl: wiring, politeness for news portals, and the ``NEWS_*``
settings with their defaults. Anything here can be overridden with ``-s NAME=VALUE``."""

import os

from scrapy.settings import default_settings

from crawler import __version__
from crawler.items import FIELD_ORDER

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"

# --- newscrawl ---------------------------------------------------------------------------------
# Contact URL named in the User-Agent, so portal operators can reach whoever runs the crawl.
NEWS_CONTACT_URL = "https://github.com/newscrawl/newscrawl"
# Sites file for `-a site=NAME` given without `-a sites=FILE`; None: the bundled sites.toml.
NEWS_SITES_FILE = None
# Pages that could not become a record, with URL and reason (%(crawl_id)s, %(name)s, %(time)s
# filled in); empty: beside the output (<output>.rejects.jsonl for one -O file,
# <output root>/rejects/<crawl_id>.jsonl for NEWS_OUTPUT, else data/rejects/<crawl_id>.jsonl).
NEWS_REJECTS = ""
# The crawl stats as JSON at the end of the crawl; empty: beside the output as NEWS_REJECTS
# (<output>.stats.json, <output root>/stats/<crawl_id>.json or data/stats/<crawl_id>.json).
NEWS_STATS_FILE = ""
# A record's text must have at least this many non-space characters (a CJK one counts 3).
NEWS_MIN_TEXT_CHARS = 200
# Probe these paths for feeds and sitemaps when robots.txt and the pages name none.
NEWS_PROBE_COMMON_PATHS = True
# How many links away from a seed page listing pages are followed (0: only the seeds).
NEWS_LINK_DEPTH = 3
# Worker processes that decode and extract pages (0: in the crawl's own process).
NEWS_EXTRACT_WORKERS = os.cpu_count() or 1
# A page whose extraction takes longer is rejected (extraction_timeout) and its worker replaced.
NEWS_EXTRACT_TIMEOUT = 30.0
# A text line found on this many distinct articles of a site is learned as the site's template
# and dropped from its later articles (0: no template learning).
NEWS_TEMPLATE_MIN_PAGES = 4
# Most sitemap entries read from one sitemap file (the rest are ignored and counted).
NEWS_SITEMAP_MAX_ENTRIES = 50_000
# Most requests in Scrapy's scheduler before pages that sitemaps and feeds list wait as bare
# entries in the frontier (crawler/frontier.py), so that memory does not grow with the site;
# 0: every listed page is queued at once. Off with JOBDIR and in distributed crawls.
NEWS_SCHEDULED_PAGES_MAX = 1000
# Most fetches from one site in one crawl, pages, sitemaps, feeds and robots.txt alike (a site's
# max_pages overrides it; 0: no limit): the bound on crawler traps that link depth and URL
# patterns miss.
NEWS_MAX_PAGES_PER_SITE = 20_000
# Most sitemaps and feeds requested per site in one crawl (0: no limit): a sitemap index whose
# every sitemap lists new ones has no end (crawler/crawl/middlewares/sprawl.py).
NEWS_MAX_DISCOVERY_PER_SITE = 1000
# Most links of one page followed (0: no limit): a page with 60,000 links queued them all.
NEWS_MAX_LINKS_PER_PAGE = 2000
# Longest robots.txt Crawl-delay obeyed, in seconds; a longer one is capped to it.
NEWS_CRAWL_DELAY_MAX = 30.0
# Longest Retry-After (429/503) waited for before a retry; a longer one fails the page.
NEWS_RETRY_AFTER_MAX = 120.0
# URLs listed per reason under newscrawl/bad_urls in the stats file (the counters count all).
NEWS_BAD_URLS_MAX = 1000

# A progress line on the terminal every N seconds (0: none), and a RESULT line at the end.
NEWS_PROGRESS_INTERVAL = 10.0
# False: neither (the manifest and exit status still say how the run went).
NEWS_CONSOLE = True

# --- scheduled crawls: crawl state, output, run manifest -----------------------------------------
# The crawl state (crawler/state/): a SQLite file; empty: no state, every article is new.
NEWS_STATE = "data/state.sqlite"
# An article page first seen within this many days is fetched again (conditionally) on every
# run; an older one only when its sitemap lastmod or feed date moves.
NEWS_RECHECK_DAYS = 2.0
# Only articles published in the last N days (0: no limit): checked before fetching where a
# sitemap or feed dates the URL, and on the extracted date otherwise.
NEWS_MAX_AGE_DAYS = 0.0
# A new article whose simhash is this many bits (0 to 3) or fewer from a delivered article of
# the same site is a near duplicate and dropped; 0: exact text duplicates only.
NEWS_NEAR_DUPLICATE_BITS = 3
# Output when no -o/-O is given: one file per site and run (%(site)s, %(crawl_date)s,
# %(crawl_id)s; .jsonl.gz, .jsonl.zst or .parquet for those formats); empty: no output.
NEWS_OUTPUT = "out/%(site)s/%(crawl_date)s/%(crawl_id)s.jsonl"
# The crawl id (a scheduler's run id); empty: a new one, e.g. 20240605T101500Z-3fa9c1.
NEWS_CRAWL_ID = ""
# The run manifest; empty: beside the output (<output>.manifest.json, or
# <output root>/manifests/<crawl_id>.json for NEWS_OUTPUT).
NEWS_MANIFEST = ""
# Health rules: a run breaking one exits with NEWS_UNHEALTHY_EXIT_CODE. Each site must have at
# least this many article pages (new, changed, unchanged, duplicate or skipped) ...
NEWS_HEALTH_MIN_ARTICLES = 1
# ... and at most this share of its requests may fail (refusals by policy do not count).
NEWS_MAX_ERROR_RATE = 0.5
# ... and at most this share of its article pages may be rejected (pages an article was
# expected from that gave none: script shells, error pages), once it has this many rejects ...
NEWS_MAX_REJECT_SHARE = 0.2
NEWS_HEALTH_MIN_REJECTED = 3
# ... and its article pages may not fall below this share of the median of the same job's last
# NEWS_HEALTH_RUNS healthy runs (0: no comparison).
NEWS_MIN_YIELD = 0.5
NEWS_HEALTH_RUNS = 5
# The job a run belongs to (also -a job=NAME): its history keys "the previous run" and the
# health baseline; empty: derived from the sites and their start URLs.
NEWS_JOB = ""
# Where job histories and latest-delivery pointers are kept (<dir>/<job>/history.json,
# latest.json); empty: jobs/ beside NEWS_STATE.
NEWS_JOBS_DIR = ""
# Retention: the files of a job's runs (outputs, manifests, stats, rejects) beyond the newest
# NEWS_KEEP_RUNS, or older than NEWS_KEEP_DAYS, are removed at the end of a run (0: kept).
NEWS_KEEP_RUNS = 0
NEWS_KEEP_DAYS = 0.0
# A site whose article pages fell by more than this share since the job's previous run is
# flagged in the manifest's alerts (0: no comparison).
NEWS_DROP_ALERT = 0.5
NEWS_UNHEALTHY_EXIT_CODE = 3
# The exit status of a crawl that found its SQLite crawl state in use by another crawl (it
# stops before fetching anything; 75 is EX_TEMPFAIL: try again later).
NEWS_LOCKED_EXIT_CODE = 75
# A temporary output file (.NAME.HOST.PID.RANDOM.part) of another host or container sharing the
# output folder is removed as a killed crawl's leftover only once it is this many hours old.
NEWS_PART_STALE_HOURS = 24.0

# --- distributed crawls on Redis (crawler/distributed.py, scrapy-redis) --------------------------
# A redis:// URL switches the crawl to distributed mode: shared queue, dupefilter and crawl state;
# also read from the environment variable of the same name. Empty: a crawl of one process.
NEWS_REDIS_URL = os.environ.get("NEWS_REDIS_URL", "")
# A worker closes once the shared queue is empty and no worker holds work (the crawl's end, see
# distributed.IdleClose), after it has stayed so this many seconds.
NEWS_REDIS_IDLE_SECONDS = 0.0
# A worker with nothing to do asks the shared queue for work this often (seconds).
NEWS_REDIS_POLL_SECONDS = 0.2
# A request waiting for its host's crawl-wide lease (middlewares/politeness.py) asks this often.
NEWS_POLITENESS_POLL_SECONDS = 0.05
# A worker that lost Redis retries (with backoff) this long, then stops: finish reason
# redis_unavailable, exit status NEWS_UNHEALTHY_EXIT_CODE.
NEWS_REDIS_RETRY_SECONDS = 60.0
# A crawl whose workers are all gone (killed, or stopped by a Redis outage) stays the one new
# workers join this long; after it a new start is a new crawl (distributed.CrawlLease).
NEWS_REDIS_LEASE_SECONDS = 60
# In the worker's output and manifest names; empty: <hostname>-<pid>.
NEWS_WORKER_ID = ""

# --- politeness: one portal is one host; be a guest it does not notice ---------------------------
USER_AGENT = f"newscrawl/{__version__} (+{NEWS_CONTACT_URL})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
# News pages are rarely above 2 MB; a larger body is a mistake or an attack.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 2
# A page given up on is counted under newscrawl/failed/<reason>; on the open web that is
# routine, not an error.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
# Depth is counted by the spider in link hops from a seed page (NEWS_LINK_DEPTH): sitemap and feed
# entries are articles however many index files led to them.
DEPTH_LIMIT = 0
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
MEMUSAGE_ENABLED = True
MEMUSAGE_LIMIT_MB = 2048
MEMUSAGE_WARNING_MB = 1024
# Items are cheap to process; a high value only makes the engine juggle more at once
# (scrapy#5182).
CONCURRENT_ITEMS = 16

SPIDER_MIDDLEWARES = {
    # Nearest the spider: the links and sitemaps it drops are never scheduled.
    "crawler.crawl.middlewares.sprawl.SprawlMiddleware": 950,
}
DOWNLOADER_MIDDLEWARES = {
    # Before RobotsTxtMiddleware (100): a page over budget costs no robots.txt lookup.
    "crawler.crawl.middlewares.budget.PageBudgetMiddleware": 60,
    # Scrapy's, whose one fetch of a host's robots.txt also answers the spider's request for it.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.crawl.middlewares.robots.SharedRobotsTxtMiddleware": 100,
    # After RobotsTxtMiddleware: the host's robots.txt is parsed by then.
    "crawler.crawl.middlewares.robots.CrawlDelayMiddleware": 110,
    # Responses pass middlewares from the highest number down: these see a response before
    # RetryMiddleware (550) and RedirectMiddleware (600) do.
    "crawler.crawl.middlewares.retryafter.RetryAfterMiddleware": 560,
    "crawler.crawl.middlewares.redirects.RedirectGuardMiddleware": 610,
    # Scrapy's decodes every page to look for a refresh; ours only pages that may hold one.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.crawl.middlewares.metarefresh.LazyMetaRefreshMiddleware": 580,
}

# --- pipeline: dedup -> new or changed -> feed export ---------------------------------------------
# Records arrive cleaned and validated: the spider's page-to-record path (crawler/extract/page.py).
ITEM_PIPELINES = {
    "pipelines.dedup.DedupPipeline": 300,
    "pipelines.incremental.IncrementalPipeline": 400,
}
EXTENSIONS = {
    # Before the FeedExporter (0): it must see each record before the feed exporter writes it,
    # to know which output file holds it.
    "crawler.state.tracker.StateTracker": -10,
    "crawler.runfiles.rejects.RejectsFile": 100,
    "crawler.runfiles.runstats.StatsFile": 200,
    "crawler.runfiles.manifest.RunManifest": 300,
    # After the manifest: its summary line reads the verdict.
    "crawler.runfiles.console.ConsoleReport": 400,
}
# The control-port extensions are off (below) and left out of the base list too: Scrapy imports
# every extension it lists, even one set to None, and the remote control's module imports aiohttp
# (0.1 s of the crawl's start, 8 MiB of its memory). To use one, set its order in EXTENSIONS.
_CONTROL_PORTS = (
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
)
EXTENSIONS_BASE = {
    k: v for k, v in default_settings.EXTENSIONS_BASE.items() if k not in _CONTROL_PORTS
}
# Local output files appear under their final name only when complete (runfiles/feedstorage.py).
FEED_STORAGES = {
    "": "crawler.runfiles.feedstorage.AtomicFileFeedStorage",
    "file": "crawler.runfiles.feedstorage.AtomicFileFeedStorage",
}
# -O out.parquet (the extra "parquet"); .jsonl.gz and .jsonl.zst: crawler/runfiles/formats.py.
FEED_EXPORTERS = {"parquet": "crawler.runfiles.parquet.ParquetItemExporter"}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORT_FIELDS = FIELD_ORDER
FEED_STORE_EMPTY = True

# Unattended scheduled runs should not open control ports on the host.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# A run prints progress and one RESULT line (crawler/runfiles/console.py); Scrapy's full log
# with -L INFO, or in LOG_FILE (INFO there unless -L says otherwise: crawler/commands/crawl.py).
LOG_LEVEL = "WARNING"
# Duplicates are expected on portals (the same story in two sections); not worth a warning.
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.crawl.logformatter.NewsLogFormatter"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
