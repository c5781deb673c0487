"""Exit codes of `fagmatch crawl` beyond the CLI's 0 (done), 1 (failed) and 2 (bad usage), for the
crawl command and the service's crawl jobs that run it (a module of its own: the service must not
import Scrapy to read them)."""

INCOMPLETE = 3  # published, but some requests failed, so no course was withdrawn
