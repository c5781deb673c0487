"""The generic spider: crawls one source (registry entry or ad-hoc URL) and yields the course pages it finds.

It stays on the source's domains, reads sitemaps (Scrapy's SitemapSpider machinery, robots.txt
sitemaps included), follows links that match the source's follow patterns (all links when there
are none: listings and their pagination included), and asks `crawler.extract` of every candidate
page whether it is a course. Pages, courses and failures go to the job's journal as they happen."""

from __future__ import annotations

import codecs
import json
import re
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.spiders import SitemapSpider
from twisted.python.failure import Failure
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom

from crawler.extract import extract_course
from crawler.journal import Journal
from crawler.middlewares import robots_unknown, url_port
from crawler.registry import Source, adhoc_source, load_registry
from matcher.course import canonical_url, url_course_id

# Addresses a page's scripts load content from: "load more" buttons, lazy lists, JSON endpoints.
# Not on media elements: there data-src is a lazily loaded image or video.
_DATA_URL_XPATH = "|".join(
    f"//*[not(self::img or self::source or self::picture or self::video or self::audio or self::iframe)]/@data-{name}"
    for name in ("url", "href", "src", "endpoint", "api", "load-more", "loadmore", "more-url", "next", "source")
)
_SCRIPT_URL_RE = re.compile(r"""(?:fetch|\.getJSON|\.get|\.load|\.open)\(\s*(?:["']GET["']\s*,\s*)?["']([^"'\s]+)["']""")
_MEDIA_RE = re.compile(r"\.(?:" + "|".join(map(re.escape, IGNORED_EXTENSIONS)) + r")(?:[?#]|$)", re.IGNORECASE)
_JSON_TYPES = (b"application/json", b"application/ld+json", b"text/json", b"+json")
# The close reason of the page budget: Scrapy's own (CLOSESPIDER_PAGECOUNT), which counts every response.
PAGE_BUDGET_REASON = "closespider_pagecount"
# A missing page is an answer ("gone"), not a failed crawl; these statuses do not block withdrawals.
GONE_STATUSES = frozenset({404, 410})
# The IgnoreRequest Scrapy's RedirectMiddleware raises past REDIRECT_MAX_TIMES: a loop through ever new addresses.
MAX_REDIRECTS_REASON = "max redirections reached"


def journal_path(settings: Any) -> Path | None:
    explicit = settings.get("FAGMATCH_JOURNAL")
    if explicit:
        return Path(explicit)
    jobdir = settings.get("JOBDIR")
    return Path(jobdir) / "journal.jsonl" if jobdir else None


class GenericSpider(SitemapSpider):
    name = "generic"

    def __init__(
        self, source: Source | str | None = None, url: str | None = None, registry: str | None = None,
        *args: Any, **kwargs: Any,
    ) -> None:  # fmt: skip
        if isinstance(source, Source):
            self.source = source
        elif source:
            self.source = load_registry(registry)[source]
        elif url:
            self.source = adhoc_source(url)
        else:
            raise ValueError("the generic spider needs a source (-a source=NAME) or a start URL (-a url=URL)")
        self.allowed_domains = list(self.source.allowed_domains)
        self.start_urls = list(self.source.start_urls)
        self.sitemap_urls = list(self.source.sitemaps)
        ports = {url_port(url) for url in [*self.start_urls, *self.sitemap_urls]}
        # the ports SourcePortsMiddleware keeps to; a site on the web's own ports may switch http/https
        self.allowed_ports = ports | ({80, 443} if ports & {80, 443} else set())
        detail = "|".join(f"(?:{pattern})" for pattern in self.source.detail)
        self.sitemap_rules = [(detail, "parse_page")]
        self.sitemap_follow = [""]
        super().__init__(*args, **kwargs)
        allow = [*self.source.follow, *self.source.detail] if self.source.follow else []
        # Domains are kept by the OffsiteMiddleware (host names, any port); LinkExtractor would compare host:port.
        self.links = LinkExtractor(allow=allow, deny=self.source.deny)
        self.detail_re = re.compile(detail) if detail else None
        self.hints = {
            "provider": self.source.provider,
            **self.source.hints.model_dump(exclude_none=True),
        }
        self.pages = 0
        self.courses = 0
        self.failures = 0
        self._said: set[tuple[str, str]] = set()
        self.undecodable = 0
        self.redecoded = 0
        self.journal: Journal | None = None
        self.max_pages = 0  # FAGMATCH_MAX_PAGES: the page budget, 0 none
        self.progress_every = 25
        self.progress_seconds = 10.0
        self._last_progress = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> GenericSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        path = journal_path(crawler.settings)
        spider.journal = Journal(path) if path else None
        spider.max_pages = crawler.settings.getint("FAGMATCH_MAX_PAGES", 0)
        spider.progress_every = crawler.settings.getint("FAGMATCH_PROGRESS_EVERY", 25)
        spider.progress_seconds = crawler.settings.getfloat("FAGMATCH_PROGRESS_SECONDS", 10.0)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._failed_page, signal=signals.spider_error)
        crawler.signals.connect(spider._dropped, signal=signals.request_dropped)
        return spider

    def _opened(self) -> None:
        # A polite crawl fetches a page every few seconds: say at once that it runs, and where from.
        self._last_progress = time.monotonic()
        self.progress(f"started: {', '.join(self.start_urls or self.sitemap_urls)}")
        timeout = self.crawler.settings.getfloat("CLOSESPIDER_TIMEOUT")
        if timeout > 0:  # Scrapy's CloseSpider extension closes the spider then; the queue goes with it
            from twisted.internet import reactor

            reactor.callLater(timeout + 0.05, self.drop_queued_requests)  # type: ignore[attr-defined]

    def drop_queued_requests(self) -> None:
        """At a bound, drop the requests that wait in the downloader for their politeness delay:
        Scrapy fetches every one of them before it closes (up to CONCURRENT_REQUESTS, a delay
        apart), where a bound means no new request. Those being fetched finish."""
        engine = getattr(getattr(self, "crawler", None), "engine", None)
        downloader = getattr(engine, "downloader", None)
        for slot in getattr(downloader, "slots", {}).values():
            while slot.queue:
                _request, waiting = slot.queue.popleft()
                waiting.errback(Failure(IgnoreRequest("the crawl reached a bound")))

    def _closed(self, reason: str) -> None:
        self.progress(f"done ({reason}): {self.pages} pages, {self.courses} courses, {self.failures} failed requests")

    def _failed_page(self, failure: Failure, response: Response, spider: Any) -> None:
        """A page fetched whose reading failed: its course and links are unknown, and a resumed crawl
        would not fetch it again (it is in the job's seen requests), so the crawl cannot tell what is
        gone and must withdraw nothing. Counted and journalled as a failed request."""
        self._failed(response.url, f"reading the page failed: {failure.type.__name__}: {failure.getErrorMessage()}",
                     blocking=True)

    def _dropped(self, request: Request, spider: Any) -> None:
        """A redirect back to an address of its own chain is dropped by the duplicate filter: a loop
        (often a cookie wall), so the page is unknown this time, not gone."""
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain and not request.meta.get("optional"):
            self._failed(request.url, f"redirect loop: {' -> '.join([*chain, request.url])}", blocking=True)

    def progress(self, message: str) -> None:
        try:
            print(f"[{self.source.name}] {message}", file=sys.stderr, flush=True)
        except (OSError, ValueError):
            pass  # whoever read our progress is gone (a parent killed): the crawl goes on and finishes its work

    async def start(self) -> AsyncIterator[Any]:
        optional = self.source.kind == "ad-hoc"  # guessed sitemap locations may well not exist
        for url in self.sitemap_urls:
            yield Request(url, self._parse_sitemap, errback=self.on_error, meta={"optional": optional})
        for url in self.start_urls:
            yield Request(url, self.parse_page, errback=self.on_error, meta={"start": True})

    def _parse_sitemap(self, response: Response) -> Iterable[Request]:
        # SitemapSpider's requests carry no errback: add ours, so their failures are counted.
        for request in super()._parse_sitemap(response):
            yield request.replace(errback=self.on_error) if request.errback is None else request

    def is_candidate(self, url: str) -> bool:
        return self.detail_re is None or bool(self.detail_re.search(url))

    def parse_page(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return  # PDFs and images are no course pages
        if self.max_pages and self.pages >= self.max_pages:
            return  # in flight when the page budget ran out: fetched, but past the bound
        self.pages += 1
        if self.journal:
            self.journal.page(response.url, response.status)
        now = time.monotonic()
        every = self.progress_every and self.pages % self.progress_every == 0
        if every or now - self._last_progress >= self.progress_seconds:
            self._last_progress = now
            self.progress(f"{self.pages} pages, {self.courses} courses, {self.failures} failed requests")
        if _is_json(response):
            if self.max_pages and self.pages >= self.max_pages:
                self.drop_queued_requests()
                raise CloseSpider(PAGE_BUDGET_REASON)
            yield from self._follow_urls(response, _json_links(response.text))
            return
        if self.is_candidate(response.url):
            page = page_text(response)
            if page.redecoded:
                self.redecoded += 1
                if self.journal:
                    self.journal.redecoded(response.url, response.encoding, page.encoding)
            if page.text is None:
                # Not stored with replacement characters; its course (if any) is seen, so not withdrawn.
                self.undecodable += 1
                if self.journal:
                    course_id = url_course_id(response.url)
                    self.journal.undecodable(response.url, response.encoding, course_id)
            else:
                record = extract_course(page.text, response.url, self.hints)
                if record is not None:
                    self.courses += 1
                    yield {"source": self.source.name, "page": response.url, "course": record}
                    if record["url"] != canonical_url(response.url):
                        # The canonical URL it names must answer: a stale one (a renamed page) would make a
                        # dead link the course's address. Fetched once, as any page (a print view's
                        # original usually is anyway); if it is gone, the page keeps its own URL.
                        yield Request(record["url"], callback=self.parse_page, errback=self.on_error,
                                      meta={"canonical_of": response.url})
                elif self.journal:
                    self.journal.no_course(response.url, url_course_id(response.url))
        if self.max_pages and self.pages >= self.max_pages:
            self.drop_queued_requests()
            raise CloseSpider(PAGE_BUDGET_REASON)
        for link in self.links.extract_links(response):
            yield response.follow(link.url, callback=self.parse_page, errback=self.on_error)
        yield from self._follow_urls(response, _script_links(response))

    def _follow_urls(self, response: TextResponse, urls: Iterable[str]) -> Iterator[Request]:
        """Requests for addresses found outside <a href>: the source's patterns apply, media is skipped."""
        for url in urls:
            absolute = response.urljoin(url)
            if absolute.startswith(("http://", "https://")) and not _MEDIA_RE.search(absolute) \
                    and self.links.matches(absolute):  # fmt: skip
                yield Request(absolute, callback=self.parse_page, errback=self.on_error)

    def on_error(self, failure: Failure) -> None:
        request: Request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest) and str(failure.value) == MAX_REDIRECTS_REASON:
            if request.meta.get("optional"):
                return
            message, blocking = f"more than {request.meta.get('redirect_times', 0)} redirects (a redirect loop?)", True
        elif failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # robots.txt or offsite: not ours to fetch, not a failure
        elif failure.check(HttpError):
            status = failure.value.response.status
            if request.meta.get("canonical_of"):
                if status in GONE_STATUSES and self.journal:
                    self.journal.canonical_gone(request.url, request.meta["canonical_of"])
                return  # a check of a canonical URL, not a page of the crawl: no failure either way
            if request.meta.get("optional") and status in GONE_STATUSES:
                return
            # A start URL that is gone means the site moved: nothing can be judged withdrawn.
            message, blocking = f"HTTP {status}", status not in GONE_STATUSES or bool(request.meta.get("start"))
            if status >= 500 and urlsplit(request.url).path == "/robots.txt":
                message = robots_unknown(status)  # as the robots.txt middleware says it: one failure, said once
        else:
            message, blocking = f"{failure.type.__name__}: {failure.getErrorMessage()}", True
        self._failed(request.url, message, blocking=blocking)

    def record_failure(self, url: str, message: str) -> None:
        """A failed request that the middlewares met (robots.txt unreadable): the crawl is incomplete."""
        self._failed(url, message, blocking=True)

    def _failed(self, url: str, message: str, *, blocking: bool) -> None:
        if (url, message) in self._said:
            return  # robots.txt asked by the middleware and by the sitemap reader: one failure
        self._said.add((url, message))
        if blocking:
            self.failures += 1
        if self.journal:
            self.journal.error(url, message, blocking=blocking)
        if blocking:
            self.logger.warning("failed %s: %s", url, message)
        else:
            self.logger.info("gone %s: %s (an answer, not a failure)", url, message)


def _is_json(response: TextResponse) -> bool:
    content_type = (response.headers.get(b"Content-Type") or b"").lower()
    return any(kind in content_type for kind in _JSON_TYPES)


def _script_links(response: TextResponse) -> list[str]:
    """Addresses in data-* attributes ("Vis flere" buttons, lazy lists) and in scripts' fetch/get calls."""
    found = [value.strip() for value in response.xpath(_DATA_URL_XPATH).getall()]
    for script in response.xpath("//script[not(@src)]/text()").getall():
        found.extend(_SCRIPT_URL_RE.findall(script))
    return [url for url in found if url and " " not in url and (url.startswith(("/", "http", "?")) or "/" in url)]


def _json_links(text: str) -> list[str]:
    """Every string in a JSON document that reads as an address on a site: a listing endpoint's course links."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found: list[str] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and " " not in value and (value.startswith(("http://", "https://"))
                                                               or re.match(r"/[\w-]", value)):  # fmt: skip
            found.append(value)
    return found


class PageText(NamedTuple):
    text: str | None  # None: the page cannot be read
    encoding: str  # the encoding it was read with
    redecoded: bool  # not with the charset its HTTP header declared (or Scrapy's guess without one)


# UTF-8 in which each byte sequence that is not UTF-8 is read as Windows-1252: the pages of old
# Danish CMSs, whose template says utf-8 while their text (or all of it) is Windows-1252.
UTF8_ELSE_CP1252 = "utf-8, else windows-1252"
_CP1252_ERRORS = "fagmatch-cp1252"


def _as_cp1252(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error(_CP1252_ERRORS, _as_cp1252)


def page_text(response: TextResponse) -> PageText:
    """The page's text, decoded as well as its bytes allow.

    Scrapy decodes with the charset the HTTP header declares. When the header names a charset no
    codec knows, or its charset gives undecodable bytes (U+FFFD) or no markup at all, the body is
    decoded again by w3lib's sniffing rules without the header (byte-order mark, then the page's
    own <meta> declaration), and failing that as UTF-8 whose other bytes are Windows-1252.
    A page whose bytes are UTF-8 (and not all ASCII) is read as UTF-8 whatever it declares: Latin-1
    text is never valid UTF-8 by chance, while servers that add "charset=iso-8859-1" to every page
    are common. A page that declares no charset anywhere (header, byte-order mark, <meta>) and is not UTF-8 is
    read as UTF-8 whose other bytes are Windows-1252 too: Scrapy's guess for it (charset_normalizer)
    takes the Danish letters of a short page for Central European ones ("Nćstved").
    Not readable (text None): undecodable bytes even then (bytes Windows-1252 leaves undefined)."""
    text = response.text
    header = response.headers.get(b"Content-Type") or b""
    utf8 = _is_utf8(response.body)
    if utf8 and not response.body.isascii() and codecs.lookup(response.encoding).name != "utf-8":
        return PageText(response.body.decode("utf-8"), "utf-8", redecoded=True)
    declared = b"charset=" in header.lower() or read_bom(response.body)[0] or html_body_declared_encoding(response.body)
    if not declared and not utf8:
        mixed = response.body.decode("utf-8", errors=_CP1252_ERRORS)
        if _decoded(mixed, response.body):
            return PageText(mixed, UTF8_ELSE_CP1252, redecoded=True)
    unknown = b"charset=" in header.lower() and http_content_type_encoding(header.decode("latin-1")) is None
    if not unknown and _decoded(text, response.body):
        return PageText(text, response.encoding, redecoded=False)
    encoding, sniffed = html_to_unicode(None, response.body, default_encoding="utf-8")
    if _decoded(sniffed, response.body):
        return PageText(sniffed, encoding, redecoded=True)
    mixed = response.body.decode("utf-8", errors=_CP1252_ERRORS)
    if _decoded(mixed, response.body):
        return PageText(mixed, UTF8_ELSE_CP1252, redecoded=True)
    return PageText(None, response.encoding, redecoded=False)


def _decoded(text: str, body: bytes) -> bool:
    replaced = "\ufffd" in text and b"\xef\xbf\xbd" not in body  # a literal U+FFFD in UTF-8 is the page's own
    return not replaced and ("<" in text[:4096] or b"<" not in body[:4096])


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
