"""A persistent cache of embeddings for texts that rarely change: the framework's statements and the
labelled training courses. Keyed by model version, prompt kind and the text itself, so a new model,
a changed taxonomy or an edited example simply misses the cache."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matcher.embeddings import default_model_dir


def default_cache_path() -> Path:
    return default_model_dir().parent / "vector-cache.sqlite"


class CachedEmbedder:
    """Wraps an embedder; `embed_queries` / `embed_passages` look in the cache first."""

    def __init__(self, embedder: Any, path: Path | None = None) -> None:
        self.embedder = embedder
        self.path = path or default_cache_path()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.embedder, name)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached("query", texts, self.embedder.embed_queries)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._cached("passage", texts, self.embedder.embed_passages)

    def _key(self, kind: str, text: str) -> str:
        return hashlib.sha256(f"{self.embedder.model_version}\0{kind}\0{text}".encode()).hexdigest()

    def _cached(self, kind: str, texts: Sequence[str], embed: Any) -> np.ndarray:
        keys = [self._key(kind, text) for text in texts]
        try:
            con = self._open()
        except sqlite3.Error:  # an unwritable cache must not stop tagging
            return embed(list(texts))
        with con:
            found: dict[str, np.ndarray] = {}
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = con.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
            missing = [i for i, key in enumerate(keys) if key not in found]
            if missing:
                fresh = embed([texts[i] for i in missing])
                for i, vector in zip(missing, fresh):
                    found[keys[i]] = vector
                con.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(keys[i], np.asarray(found[keys[i]], dtype=np.float32).tobytes()) for i in missing],
                )
        con.close()
        return np.vstack([found[key] for key in keys]) if keys else np.zeros((0, self.embedder.dim), np.float32)

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return con
