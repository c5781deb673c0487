"""Small extensions of Scrapy's own machinery: retries that back off (as long as a server's Retry-After
asks, within bounds), canonical fingerprints, robots.txt fetched once and obeyed as RFC 9309 asks
(a 5xx, Crawl-delay), a bound on query-string variants, and requests kept to the source's own ports."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections import defaultdict
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.request import RequestFingerprinter
from twisted.internet.defer import Deferred

from matcher.course import canonical_url


_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_port(url: str) -> int | None:
    """The port a URL reaches: its own, or its scheme's (None for a scheme without one)."""
    parts = urlsplit(url)
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is no number
        return None


class StartOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's OffsiteMiddleware, which says when a start address leads to another host: a site that
    moved (www.x.dk → x.dk, a new domain) gave "no page could be fetched" and nothing else. Other
    pages that lead away are not followed, as before, and are no failure."""

    def process_request(self, request: Request, spider=None) -> None:  # type: ignore[no-untyped-def, override]
        try:
            super().process_request(request)
        except IgnoreRequest:
            spider = self.crawler.spider
            if request.meta.get("start") and request.meta.get("redirect_urls") and hasattr(spider, "record_failure"):
                spider.record_failure(request.meta["redirect_urls"][0], (
                    f"the start address redirects to {request.url}, on a host the source may not fetch "
                    f"({urlsplit(request.url).hostname}): start from that address, or add its host to the "
                    "source's allowed domains"))
            raise


class SourcePortsMiddleware:
    """Keep a crawl on the ports of its source's start addresses, as OffsiteMiddleware keeps it on its
    hosts (which it compares without the port). A page, a redirect or a sitemap may name the same
    host on another port, where the site's owner may run something else (an admin interface, a
    database's web console); a site on the web's own ports may move between http and https."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SourcePortsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider=None) -> None:  # type: ignore[no-untyped-def]
        allowed = getattr(self.crawler.spider, "allowed_ports", None)
        if allowed and url_port(request.url) not in allowed:
            raise IgnoreRequest(f"another port than the source's: {request.url}")


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting RETRY_BACKOFF_BASE · 2^(n-1) s (at most RETRY_BACKOFF_MAX) before retry n.

    A struggling server gets time to recover instead of the same request again at once. The wait
    happens after the failed download, so it holds no download slot."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    async def _backoff(self, retry: Request | None, asked: float | None = None) -> None:
        if retry is not None:
            times = retry.meta.get("retry_times", 1)
            wait = max(self.backoff_base * 2 ** (times - 1), asked or 0.0)  # at least what the server asked
            if wait > 0:
                await asyncio.sleep(min(wait, self.backoff_max))

    async def process_response(self, request: Request, response: Response, spider=None) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._backoff(result, retry_after(response))
        return result

    async def process_exception(self, request: Request, exception: Exception, spider=None):  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._backoff(result)
        return result


def retry_after(response: Response) -> float | None:
    """The seconds a 429 or 503 asks the client to wait (`Retry-After`: seconds, or an HTTP date)."""
    value = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


# The longest Crawl-delay obeyed: a source's crawl is bounded (an hour by default), and a site asking
# for more gets this, one request at a time.
MAX_CRAWL_DELAY = 30.0
_DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def robots_unknown(status: int) -> str:
    """What a crawl says of a robots.txt that answered a server error."""
    return (f"robots.txt answered HTTP {status}: the site's rules are unknown, so none of its pages were fetched; "
            "try again later")


class PoliteRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, and what RFC 9309 and site owners ask beyond it:

    - a robots.txt that answers 5xx leaves the site's rules unknown: nothing of the site is fetched
      (Scrapy read the error page as rules and allowed everything), and the crawl says so, as a
      failed request, so it withdraws nothing;
    - a `Crawl-delay` is obeyed (at most MAX_CRAWL_DELAY seconds), one request at a time to that
      site: AutoThrottle alone fetched such a site less than a second apart;
    - every request that waited for robots.txt is checked against it, not only the first."""

    async def robot_parser(self, request: Request) -> RobotParser | None:  # type: ignore[override]
        # Requests that waited for robots.txt share one Deferred, and only the first gets the parser
        # (Scrapy 2.19): the others got None, "allow everything", and a start page was fetched past a
        # Disallow. The parser is kept by host once known: take it from there.
        parser = await super().robot_parser(request)
        if parser is None:
            known = self._parsers.get(urlparse_cached(request).netloc)
            if known is not None and not isinstance(known, Deferred):
                return known
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:  # type: ignore[override]
        if response.status >= 500:
            spider = self.crawler.spider
            if spider is not None and hasattr(spider, "record_failure"):
                spider.record_failure(response.url, robots_unknown(response.status))
            response = response.replace(status=200, body=_DISALLOW_ALL)
        await super()._parse_robots(response, netloc, request)

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        super().process_request_2(rp, request)
        delay = rp.crawl_delay(self._robotstxt_useragent or request.headers.get(b"User-Agent") or b"*") \
            if rp is not None else None  # fmt: skip
        if delay:
            request.meta["autothrottle_dont_adjust_delay"] = True
            downloader = self.crawler.engine.downloader if self.crawler.engine else None
            if downloader is not None:
                _, slot = downloader._get_slot(request)
                slot.delay = max(slot.delay, min(delay, MAX_CRAWL_DELAY))
                slot.concurrency = 1
                slot.jitter = 0.0  # Scrapy's ±50 % would make some waits half the delay the site asked for


class CanonicalRequestFingerprinter(RequestFingerprinter):
    """Fingerprint a request by its canonical URL (matcher.course.canonical_url).

    The same course linked with utm_/fbclid parameters, a fragment or a trailing slash is then one
    request to the dupefilter and the HTTP cache, and is fetched once, by the URL first seen.

    Except a redirect to the same canonical URL (/kurser → /kurser/, the site's own way of dropping a
    tracking parameter): that hop is fingerprinted by its exact URL, so the dupefilter does not take
    it for the request it came from, and the cache does not answer it with that request's redirect."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CanonicalRequestFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        canonical = canonical_url(request.url)
        redirected_from = request.meta.get("redirect_urls") or ()
        if any(canonical_url(url) == canonical for url in redirected_from):
            return hashlib.sha1(b"redirect hop\0" + super().fingerprint(request)).digest()
        if canonical != request.url:
            request = request.replace(url=canonical)
        return super().fingerprint(request)


class RobotsTxtOnceMiddleware:
    """Fetch each robots.txt once per crawl: Scrapy's RobotsTxtMiddleware fetches it to obey it, and the
    sitemap spider asked for it again to read its Sitemap: lines. The second request gets the first's
    final answer. Sits right after the robots.txt middleware (100), which fetches first."""

    def __init__(self) -> None:
        self.answers: dict[str, Response] = {}

    def process_request(self, request: Request, spider=None) -> Response | None:
        answer = self.answers.get(request.url) if urlsplit(request.url).path == "/robots.txt" else None
        return answer.replace(request=request) if answer is not None else None

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if urlsplit(request.url).path == "/robots.txt":  # its final answer, retries done: a 503 is not asked again
            self.answers.setdefault(request.url, response)
        return response


QUERY_IGNORED_STAT = "fagmatch/query_ignored_count"


class QueryVariantLimitMiddleware(BaseSpiderMiddleware):
    """Follow at most FAGMATCH_MAX_QUERY_VARIANTS distinct query strings per path (0: no limit).

    Calendars (`?month=…`), faceted search (`?kat=1&sort=2&side=3`) and session ids make endless
    variants of one page. Requests beyond the limit are dropped and counted in the crawl's stats
    (QUERY_IGNORED_STAT), so the crawl knows it did not see everything."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.limit = crawler.settings.getint("FAGMATCH_MAX_QUERY_VARIANTS", 0)
        self.variants: defaultdict[tuple[str, str], set[str]] = defaultdict(set)

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if not self.limit:
            return request
        parts = urlsplit(canonical_url(request.url))
        if not parts.query:
            return request
        seen = self.variants[(parts.netloc, parts.path)]
        if parts.query not in seen:
            if len(seen) >= self.limit:
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value(QUERY_IGNORED_STAT)
                return None
            seen.add(parts.query)
        return request
