"""Crawl processes that end with the process that started them, and process groups stopped whole.

A crawl is a chain: the service (or a terminal) → `fagmatch crawl` → `python -m crawler.job`. Each
link asks to be sent SIGTERM when its parent exits (`die_with_parent`), so killing any link ends
the ones below it: the crawl job then stops as Scrapy does on SIGTERM (gracefully, its queue saved
for resuming). The service starts each crawl in a process group of its own and stops or cleans up
that group as a whole (`stop_group`)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

PARENT_ENV = "FAGMATCH_PARENT_PID"  # set by a parent that wants its child to die with it
_PR_SET_PDEATHSIG = 1


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child that should call `die_with_parent`: names this process as its parent."""
    return {**(os.environ if env is None else env), PARENT_ENV: str(os.getpid())}


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Get `sig` when the parent named in FAGMATCH_PARENT_PID exits (nothing if the variable is unset).

    On Linux the kernel sends it (PR_SET_PDEATHSIG); elsewhere a thread watches the parent. A parent
    already gone before this call sends the signal at once."""
    expected = os.environ.get(PARENT_ENV)
    if not expected or not expected.isdigit():
        return
    parent = int(expected)
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before we could ask
        os.kill(os.getpid(), sig)
        return
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent, sig), name="lifeline", daemon=True).start()


def _watch_parent(parent: int, sig: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), sig)


def alive(pid: int | None) -> bool:
    """Whether process `pid` runs (a zombie, dead but not yet reaped, does not)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _state(pid) not in ("Z", "X", None) if Path("/proc").is_dir() else True


def group_members(pgid: int) -> list[int]:
    """The live processes of process group `pgid` (Linux: from /proc; elsewhere the leader, if alive)."""
    if not Path("/proc").is_dir():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return []
        return [pgid]
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def stop_group(pgid: int, *, grace: float = 30.0) -> bool:
    """Stop process group `pgid`: SIGTERM to its leader (a crawl stops gracefully; its own children get
    theirs through `die_with_parent`), or to every member when the leader is gone; SIGKILL to what
    is left after `grace` seconds. True if the group is gone."""
    try:
        if alive(pgid):
            os.kill(pgid, signal.SIGTERM)
        else:
            os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    deadline = time.monotonic() + grace
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if group_members(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        deadline = time.monotonic() + 5.0
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
    return not group_members(pgid)


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: state, ppid, pgrp, ..."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def _state(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def started(pid: int | None) -> int | None:
    """When process `pid` started (clock ticks since boot; Linux /proc), to tell it from a later
    process given the same number: a service restarted in a container is PID 1 again."""
    fields = _stat_fields(pid) if pid else None
    return int(fields[19]) if fields and len(fields) > 19 else None
