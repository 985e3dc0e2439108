"""robots.txt fetched once per host and beyond ``Disallow``: the fetch Scrapy makes for its rules
also answers the spider's own request for it (read for its ``Sitemap:`` lines), its
``Crawl-delay`` becomes the download delay of that host's slot (Scrapy reads the value but never
applies it), and a robots.txt that cannot be fetched (timeout, connection error) is a warning,
not an error with a traceback. Scrapy then allows every URL of the host, as it does for a
robots.txt answered with a 4xx or 5xx status; both are counted in its ``robotstxt/*`` stats.

Settings: ``ROBOTSTXT_OBEY``, ``ROBOTSTXT_USER_AGENT``, ``USER_AGENT``, ``NEWS_CRAWL_DELAY_MAX``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)

# A request with this meta key true wants the host's robots.txt itself (the spider, for its
# Sitemap: lines): SharedRobotsTxtMiddleware answers it with the fetch made for the rules.
ROBOTS_TXT = "robots_txt"


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware (in its place, at 100), whose one fetch of a host's
    robots.txt also answers a request for it marked ``meta[ROBOTS_TXT]``: the spider's request
    no longer waits for the rules' fetch and then fetches the file again. The request gets the
    same response (status, final URL), or the same exception, the rules' fetch ended with,
    after its retries; it is not retried again. A fetch that ended elsewhere (refused by a
    middleware's response check) or was redirected to another host is not shared: the request
    then goes out itself, under the site's redirect rules, as it did before."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.fetched: dict[str, Response | Exception] = {}

    async def process_request(self, request: Request) -> Response | None:  # type: ignore[override]
        if not request.meta.get(ROBOTS_TXT):
            return await super().process_request(request)
        await self.robot_parser(request)  # fetched for the rules, once, or being fetched
        outcome = self.fetched.get(urlparse_cached(request).netloc)
        if outcome is None:
            return None
        if isinstance(outcome, Response) and urlsplit(outcome.url).netloc != _netloc(request):
            return None
        request.meta["dont_retry"] = True  # the rules' fetch was retried already
        self.crawler.stats.inc_value("newscrawl/robots/shared")  # type: ignore[union-attr]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome.replace(request=request)

    def process_response(self, request: Request, response: Response) -> Response:
        if _fetched_for_rules(request):
            self.fetched[_netloc(request)] = response
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if _fetched_for_rules(request):
            self.fetched[_netloc(request)] = exception


def _first_url(request: Request) -> str:
    """The URL asked for, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def _netloc(request: Request) -> str:
    return urlsplit(_first_url(request)).netloc


def _fetched_for_rules(request: Request) -> bool:
    """Scrapy's own robots.txt request (it has no ``site``), or a redirect it led to."""
    meta = request.meta
    return (
        bool(meta.get("dont_obey_robotstxt"))
        and "site" not in meta
        and urlsplit(_first_url(request)).path == "/robots.txt"
    )


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
