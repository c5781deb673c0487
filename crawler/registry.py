"""The source registry (`crawler/sources.yaml`): which providers to crawl, and how. Validated on load."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.course import CourseType, Form
from matcher.data_files import DataFileError, load_yaml

REGISTRY_PATH = Path(__file__).resolve().parent / "sources.yaml"
_HOST_NAME = re.compile(r"(?=.{1,253}$)(?:[a-z0-9æøå](?:[a-z0-9æøå-]{0,61}[a-z0-9æøå])?\.)*[a-z0-9æøå](?:[a-z0-9æøå-]{0,61}[a-z0-9æøå])?", re.IGNORECASE)

SourceKind = Literal[
    "professionshøjskole", "erhvervsakademi", "university", "municipal", "association", "private", "amu",
    "national portal", "ad-hoc",
]  # fmt: skip


class RegistryError(DataFileError):
    """The registry file is missing or invalid; the message names the file and the key."""


class Hints(BaseModel):
    """Source-level facts that fill what a page leaves empty (never override the page)."""

    model_config = ConfigDict(extra="forbid")

    course_type: CourseType | None = None
    form: Form | None = None
    language: str | None = None



class Limits(BaseModel):
    """Bounds of one crawl of a source; unset ones take crawler/settings.py's defaults."""

    model_config = ConfigDict(extra="forbid")

    max_pages: int | None = Field(default=None, gt=0,
                                  description="pages read, robots.txt and sitemaps not counted (default 5000)")
    max_seconds: int | None = Field(default=None, gt=0, description="wall-clock seconds (default 3600)")
    max_depth: int | None = Field(default=None, gt=0, description="links away from a start URL (default 100)")
    max_query_variants: int | None = Field(default=None, gt=0, description="query strings per path (default 500)")

    def scrapy_settings(self) -> dict[str, int]:
        """The Scrapy settings these limits set."""
        names = {"max_pages": "FAGMATCH_MAX_PAGES", "max_seconds": "CLOSESPIDER_TIMEOUT", "max_depth": "DEPTH_LIMIT",
                 "max_query_variants": "FAGMATCH_MAX_QUERY_VARIANTS"}  # fmt: skip
        return {names[key]: value for key, value in self.model_dump(exclude_none=True).items()}


class Source(BaseModel):
    """One provider's site: where to start, where to go, and which pages are course pages."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.:-]*$")
    provider: str | None = None
    kind: SourceKind
    status: str = ""  # what is known of the source's site, in words (shown by `fagmatch sources`)
    enabled: bool = True
    start_urls: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    allowed_domains: list[str] = Field(default_factory=list)
    follow: list[str] = Field(default_factory=list, description="regexes: links to follow (default: all)")
    deny: list[str] = Field(default_factory=list, description="regexes: links never to follow")
    detail: list[str] = Field(default_factory=list, description="regexes: course pages (default: any page)")
    hints: Hints = Field(default_factory=Hints)
    limits: Limits = Field(default_factory=Limits)
    notes: str | None = None

    @field_validator("start_urls", "sitemaps")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an absolute http(s) URL")
        return urls

    @field_validator("follow", "deny", "detail")
    @classmethod
    def _regexes(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regex: {exc}") from None
        return patterns

    @field_validator("allowed_domains")
    @classmethod
    def _bare_domains(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if "/" in domain or ":" in domain:
                raise ValueError(f"{domain!r}: a bare host name, without scheme, port or path")
            if not _HOST_NAME.fullmatch(domain):  # "kp.dk www.kp.dk": a comma missing between two
                raise ValueError(f"{domain!r}: not a host name; separate several with commas: [kp.dk, www.kp.dk]")
        return domains

    @model_validator(mode="after")
    def _startable(self) -> Source:
        if not self.start_urls and not self.sitemaps:
            raise ValueError("needs start_urls or sitemaps")
        if not self.allowed_domains:
            hosts = {urlsplit(url).hostname for url in [*self.start_urls, *self.sitemaps]}
            self.allowed_domains = sorted(host for host in hosts if host)
        return self


def adhoc_source(url: str) -> Source:
    """A source for `fagmatch crawl --url`: the start URL's host, its robots.txt sitemaps, every link."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RegistryError(f"{url!r} is not an absolute http(s) URL")
    origin = f"{parts.scheme}://{parts.netloc}"
    name = "url:" + parts.netloc.lower() + (parts.path.rstrip("/") or "")
    return Source(
        name=re.sub(r"[^a-z0-9_.:-]", "-", name.lower()), kind="ad-hoc", status="ad-hoc crawl",
        start_urls=[url], sitemaps=[f"{origin}/robots.txt", f"{origin}/sitemap.xml"],
        allowed_domains=[parts.hostname],
    )


class Registry(BaseModel):
    """A registry file: its sources by name (each source's name is its key)."""

    model_config = ConfigDict(extra="forbid")
    sources: dict[str, Source]

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("sources"), dict):
            named = {name: {"name": str(name), **entry} if isinstance(entry, dict) else entry
                     for name, entry in data["sources"].items()}
            data = {**data, "sources": named}
        return data


def load_registry(path: Path | str | None = None) -> dict[str, Source]:
    """The sources of a registry file (default: the bundled `crawler/sources.yaml`), by name; RegistryError
    names each problem's line (a source named twice is one)."""
    path = Path(path) if path is not None else REGISTRY_PATH
    try:
        return load_yaml(path, Registry, "source registry").sources
    except DataFileError as exc:  # as the crawl's callers know it
        raise RegistryError(str(exc)) from None
