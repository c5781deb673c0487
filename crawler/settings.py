"""Scrapy settings for the fagmatch crawler: polite by default (PRODUCT.md §4).

`crawler.runner` starts crawls with these settings plus per-run ones (JOBDIR, the catalogue path,
the source); `scrapy crawl generic -a url=...` from `crawler/` (see scrapy.cfg) uses them as they are."""

BOT_NAME = "fagmatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

import os

# Identify ourselves and how to reach the operator: set FAGMATCH_CRAWLER_CONTACT to a web page or
# e-mail address of the organisation running the crawl before crawling real sites.
USER_AGENT = (
    "fagmatch-crawler/0.1 (course catalogue for Danish jobcentres; contact: "
    + os.environ.get("FAGMATCH_CRAWLER_CONTACT", "not configured")
    + ")"
)
ROBOTSTXT_OBEY = True

# Politeness: a few requests per site at a time, paced by the server's own latency.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024  # a course page is never this big; a trap might be

# Retries with exponential back-off (crawler.middlewares.BackoffRetryMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry; doubles per retry
RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.StartOffsiteMiddleware": 50,
    "crawler.middlewares.PoliteRobotsTxtMiddleware": 100,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.RobotsTxtOnceMiddleware": 101,
    "crawler.middlewares.SourcePortsMiddleware": 51,  # after Scrapy's OffsiteMiddleware (50): hosts, then ports
}

# One course is one request: tracking parameters, fragments and trailing slashes do not count.
REQUEST_FINGERPRINTER_CLASS = "crawler.middlewares.CanonicalRequestFingerprinter"

# Conditional re-fetch (crawler/httpcache.py): each page is stored, gzipped, beside the catalogue's
# crawl jobs, and asked for again with its ETag / Last-Modified; a 304 replays it. `fagmatch crawl
# --http-cache` replays stored pages without asking (development); -s HTTPCACHE_ENABLED=false fetches
# every page whole.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "crawler.httpcache.RevalidatePolicy"
HTTPCACHE_STORAGE = "crawler.httpcache.SafeFilesystemCacheStorage"
HTTPCACHE_GZIP = True
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 408, 429]

# Course pages need no session; the cookie middleware would also make tldextract reach the network.
COOKIES_ENABLED = False

# No local control servers: a crawler is not a remote shell.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

ITEM_PIPELINES = {
    "crawler.pipelines.ValidatePipeline": 100,
    "crawler.pipelines.JournalPipeline": 200,
    "crawler.pipelines.StorePipeline": 900,
}

# Every crawl is bounded (PRODUCT.md §4: a crawler must not run away on a link trap). A crawl that
# reaches a bound stops cleanly and publishes what it found, withdrawing nothing (crawler/pipelines.py).
# Per source in the registry (`limits:`) and per run (`fagmatch crawl --max-pages/--max-seconds/--max-depth`).
# The page budget counts pages the spider reads (HTML and JSON): not robots.txt, sitemaps, redirects
# or errors, which Scrapy's CLOSESPIDER_PAGECOUNT would count. Requests in flight when it runs out are
# still fetched (up to CONCURRENT_REQUESTS_PER_DOMAIN more), but not read.
FAGMATCH_MAX_PAGES = 5000  # pages per source
CLOSESPIDER_PAGECOUNT = 0  # off: FAGMATCH_MAX_PAGES is the page budget
CLOSESPIDER_TIMEOUT = 3600  # seconds per source
DEPTH_LIMIT = 100  # links away from a start URL or sitemap (a "next page" chain is one deeper per page)
FAGMATCH_MAX_QUERY_VARIANTS = 500  # distinct query strings per path (calendars, facets, session ids)
SPIDER_MIDDLEWARES = {"crawler.middlewares.QueryVariantLimitMiddleware": 850}

# Keep persisted request queues breadth-first: listings before the pages they list.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# fagmatch's own settings (set per run by crawler.runner).
FAGMATCH_DB = None  # catalogue path; None: extract only, store nothing
FAGMATCH_JOURNAL = None  # JSON Lines spool of pages, items and errors; default JOBDIR/journal.jsonl
FAGMATCH_PROGRESS_EVERY = 25  # pages between progress lines
FAGMATCH_PROGRESS_SECONDS = 10.0  # and a line at least this often while pages come in
