"""robots.txt beyond ``Disallow``: its ``Crawl-delay`` becomes the download delay of that host's
slot (Scrapy reads the value but never applies it), and a robots.txt that cannot be fetched
(timeout, connection error) is a warning, not an error with a traceback. Scrapy then allows
every URL of the host, as it does for a robots.txt answered with a 4xx or 5xx status; both
are counted in its ``robotstxt/*`` stats.

Settings: ``ROBOTSTXT_OBEY``, ``ROBOTSTXT_USER_AGENT``, ``USER_AGENT``, ``NEWS_CRAWL_DELAY_MAX``.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


class CrawlDelayMiddleware:
    """Ordered after RobotsTxtMiddleware, which has fetched and parsed the host's robots.txt by
    the time a request reaches this one."""

    def __init__(self, crawler: Crawler, user_agent: str, max_delay: float) -> None:
        self.crawler = crawler
        self.user_agent = user_agent
        self.max_delay = max_delay
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        mw = cls(crawler, user_agent, settings.getfloat("NEWS_CRAWL_DELAY_MAX"))
        crawler.signals.connect(mw.robots_parsed, signal=signals.robots_parsed)
        logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_QUIET_ERRORS)
        logging.getLogger("scrapy.downloadermiddlewares.retry").addFilter(_ONE_ROBOTS_GIVE_UP)
        return mw

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        delay = robotparser.crawl_delay(self.user_agent)
        host = urlparse_cached(request).hostname
        if not delay or delay <= 0 or not host:
            return
        if delay > self.max_delay:
            logger.warning(
                "%(host)s asks for a Crawl-delay of %(delay)s s; using %(max)s s "
                "(NEWS_CRAWL_DELAY_MAX)",
                {"host": host, "delay": delay, "max": self.max_delay},
            )
            delay = self.max_delay
        self.delays[host] = delay
        self.crawler.stats.inc_value("newscrawl/robots/crawl_delay_hosts")  # type: ignore[union-attr]
        logger.info("Crawl-delay of %(host)s: %(delay)s s", {"host": host, "delay": delay})

    def process_request(self, request: Request) -> None:
        delay = self.delays.get(urlparse_cached(request).hostname or "")
        if not delay:
            return
        downloader = self.crawler.engine.downloader  # type: ignore[union-attr]
        slot = downloader.slots.get(downloader.get_slot_key(request))
        # Set again before each request: AutoThrottle lowers the delay of a fast host. A slot
        # not there yet (or collected after a minute idle) is given it by the next request.
        if slot is not None and (slot.delay < delay or slot.jitter):
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0  # a random -50% would undercut what the site asked for


class _QuietRobotsErrors(logging.Filter):
    """Scrapy logs a robots.txt it could not download as an error with a traceback; on the
    open web that is routine, and the crawl goes on (everything allowed). The retry middleware
    has already warned that it gave up on the robots.txt, so this second word on it is INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.exc_info:
            record.exc_info = None
            record.exc_text = None
            # Handlers compare their level after the filters: at WARNING this is not shown.
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_QUIET_ERRORS = _QuietRobotsErrors()


class _OneRobotsGiveUp(logging.Filter):
    """robots.txt is fetched twice: by Scrapy's middleware, for its rules, and by the spider,
    for its ``Sitemap:`` lines (``meta["probe_sitemaps"]``). When it cannot be had, the retry
    middleware warns that it gave up on each; the spider's is INFO, so the warning (the host's
    rules are not known, everything is allowed) is given once."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, dict) else {}
        request = args.get("request")
        meta = getattr(request, "meta", {})
        if record.levelno >= logging.WARNING and "probe_sitemaps" in meta:
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_ONE_ROBOTS_GIVE_UP = _OneRobotsGiveUp()
