"""Conditional re-fetch: every crawl asks again for each page an earlier crawl fetched, with the page's
ETag and Last-Modified (If-None-Match / If-Modified-Since); a 304 answer replays the stored page, so
an unchanged site costs its servers little, and the crawl yields the same records."""

from __future__ import annotations

import pickle
from typing import Any

from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy


class RevalidatePolicy(RFC2616Policy):
    """RFC 2616 caching in which a stored page is never fresh: each crawl asks the server again
    (conditionally, where the page gave a validator), so no change waits out a cache lifetime that
    the server allowed. A page without a validator is fetched whole, as without a cache."""

    def is_cached_response_fresh(self, cachedresponse: Any, request: Any) -> bool:
        self._set_conditional_validators(request, cachedresponse)  # what RFC2616Policy does for a stale page
        return False

    def is_cached_response_valid(self, cachedresponse: Any, response: Any, request: Any) -> bool:
        # Only "not modified": RFC 2616 would also replay the stored page when the server answers 5xx,
        # and the crawl would not hear of the failure (nor stay incomplete, withdrawing nothing).
        return bool(response.status == 304)


class SafeFilesystemCacheStorage(FilesystemCacheStorage):
    """Scrapy's file storage, in which a page half stored by a crawl that was killed is fetched again
    rather than failing its request."""

    def retrieve_response(self, spider: Any, request: Any) -> Any:
        try:
            return super().retrieve_response(spider, request)
        except (OSError, EOFError, ValueError, pickle.UnpicklingError):
            return None
