"""Reading an uploaded file, for the API and the web page alike: one size limit, no empty files,
and the message in the language of whoever asked (matcher.messages)."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from matcher.messages import say

MAX_UPLOAD_BYTES = 1_000_000  # a team's survey or assessment is a few kB; this leaves room for big ones
# Where uploaded files wait while they are read: <TMPDIR>/<prefix><pid>-… (matcher.temp_files)
FEED_UPLOAD_PREFIX = "fagmatch-ingest-"  # a provider's feed (POST /api/admin/ingest)
TEAM_UPLOAD_PREFIX = "fagmatch-team-"  # a team's files in the API (names, steps)
WEB_UPLOAD_PREFIX = "fagmatch-web-"  # a team's files on the web page
UPLOAD_PREFIXES = (FEED_UPLOAD_PREFIX, TEAM_UPLOAD_PREFIX, WEB_UPLOAD_PREFIX)


class UploadError(ValueError):
    """An upload that cannot be used; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def read_upload(upload: UploadFile, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The uploaded file's bytes, reading no more than `limit` + 1 of them; UploadError (413) for a
    larger file and (422) for one without a visible character."""
    data = await upload.read(limit + 1)
    name = upload.filename or "upload"
    if len(data) > limit:
        raise UploadError(say("{name}: larger than {kb} kB", name=name, kb=limit // 1000), 413)
    if not data.strip():
        raise UploadError(say("{name}: the file is empty", name=name), 422)
    return data
