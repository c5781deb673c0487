"""Small extensions of Scrapy's own machinery: retries that back off, canonical fingerprints, robots.txt
fetched once, a bound on query-string variants, and requests kept to the source's own ports."""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.request import RequestFingerprinter

from matcher.course import canonical_url


_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_port(url: str) -> int | None:
    """The port a URL reaches: its own, or its scheme's (None for a scheme without one)."""
    parts = urlsplit(url)
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:  # a port that is no number
        return None


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

    async def _backoff(self, retry: Request | None) -> None:
        if retry is not None and self.backoff_base > 0:
            times = retry.meta.get("retry_times", 1)
            await asyncio.sleep(min(self.backoff_base * 2 ** (times - 1), self.backoff_max))

    async def process_response(self, request: Request, response: Response, spider=None) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._backoff(result)
        return result

    async def process_exception(self, request: Request, exception: Exception, spider=None):  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._backoff(result)
        return result


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
    answer (a 200 only). Sits right after RobotsTxtMiddleware (100), which fetches first."""

    def __init__(self) -> None:
        self.answers: dict[str, Response] = {}

    def process_request(self, request: Request, spider=None) -> Response | None:
        answer = self.answers.get(request.url) if urlsplit(request.url).path == "/robots.txt" else None
        return answer.replace(request=request) if answer is not None else None

    def process_response(self, request: Request, response: Response, spider=None) -> Response:
        if response.status == 200 and urlsplit(request.url).path == "/robots.txt":
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
