"""The app for `uvicorn service.asgi:app` and for `fagmatch serve --workers N` (each worker imports
it): configured from the environment that `serve` sets (FAGMATCH_DB, FAGMATCH_TAXONOMY, FAGMATCH_MODEL,
FAGMATCH_API_KEY, FAGMATCH_BASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

from service.app import create_app
from service.cli import default_db_path
from service.state import ServiceConfig

app = create_app(ServiceConfig.from_env(
    Path(os.environ.get("FAGMATCH_DB") or default_db_path()),
    taxonomy_path=Path(os.environ["FAGMATCH_TAXONOMY"]) if os.environ.get("FAGMATCH_TAXONOMY") else None,
    model=os.environ.get("FAGMATCH_MODEL") or None,
))
