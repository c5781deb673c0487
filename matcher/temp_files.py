"""Files a command writes before they get their name (`.<name>.<pid>.<kind>`), and clearing those a
killed process left: a backup killed halfway left a catalogue-sized `.b.duckdb.6649.partial` that
nothing ever removed, and a service killed during an upload the whole uploaded feed."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from crawler.lifeline import alive

LEGACY_AGE = 3600.0  # seconds: a folder named without its process id, older than this, is left over


def private_path(target: Path, kind: str) -> Path:
    """Where this process writes `target` before naming it."""
    return target.with_name(f".{target.name}.{os.getpid()}.{kind}")


def clear_left_behind(target: Path, kind: str) -> None:
    """Remove what a process no longer running left while writing `target` (same name and kind)."""
    _clear(target.parent, rf"\.{re.escape(target.name)}\.(\d+)\.{re.escape(kind)}\w*")


def clear_left_behind_folders(folder: Path, prefix: str) -> None:
    """Remove the folders `<prefix><pid>-…` in `folder` whose process no longer runs, and those
    `<prefix>…` without a process id (named so before 2026-12-07) not touched for an hour."""
    _clear(folder, rf"{re.escape(prefix)}(\d+)-\w+")
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            if re.fullmatch(rf"{re.escape(prefix)}[a-z0-9_]{{8}}", path.name) and path.is_dir() \
                    and not path.is_symlink() and time.time() - path.stat().st_mtime > LEGACY_AGE:  # fmt: skip
                shutil.rmtree(path, ignore_errors=True)


def clear_left_behind_uploads(prefixes: Iterable[str]) -> None:
    """Remove the upload folders (`<TMPDIR>/<prefix><pid>-…`) that processes no longer running left: a
    service does it as it starts, so a team file a killed worker held does not wait for the next upload
    of its kind."""
    temp = Path(tempfile.gettempdir())
    for prefix in prefixes:
        clear_left_behind_folders(temp, prefix)


@contextlib.contextmanager
def private_temp_folder(prefix: str) -> Iterator[Path]:
    """A private temporary folder (`<TMPDIR>/<prefix><pid>-…`) for uploaded files while they are read,
    removed afterwards; those a killed process left are removed first (an uploaded team file holds
    names and steps: it must not stay for ever)."""
    temp = Path(tempfile.gettempdir())
    clear_left_behind_folders(temp, prefix)
    with tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-", dir=temp) as folder:
        yield Path(folder)


def _clear(folder: Path, pattern: str) -> None:
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            found = re.fullmatch(pattern, path.name)
            if not found or int(found[1]) == os.getpid() or alive(int(found[1])):
                continue
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
