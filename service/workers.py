"""`fagmatch serve --workers N`: N uvicorn worker processes on one port, each with its own listening
socket (SO_REUSEPORT), so the kernel spreads new connections evenly over the workers.

uvicorn's own supervisor shares one listening socket, and whichever worker is idle in accept() takes
the connections: with keep-alive clients a 32/0 split was common (bench/service.py), and half the
machine idled. Each worker here imports `service.asgi:app`, which reads its configuration from the
environment that `serve` sets."""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

BACKLOG = 2048
RESTART_PAUSE_SECONDS = 1.0  # a worker that keeps dying is restarted at most this often
STOP_GRACE_SECONDS = 10.0


class PortInUse(OSError):
    """The address is taken by another program: nothing was started."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUse when anything holds host:port. Without SO_REUSEPORT this bind fails even for
    another fagmatch, whose workers would otherwise silently share the port with ours."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port with SO_REUSEPORT (not yet listening)."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, uvicorn_options: dict[str, Any]) -> None:
    import uvicorn

    sock = reuseport_socket(host, port)
    sock.listen(BACKLOG)
    config = uvicorn.Config("service.asgi:app", host=host, port=port, **uvicorn_options)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(host: str, port: int, workers: int, uvicorn_options: dict[str, Any]) -> None:
    """Start the workers and keep them running (a dead one is restarted) until SIGINT or SIGTERM,
    then stop them all gracefully. The caller checks first that the port is free (check_port_free)."""
    # Held, bound but not listening, for as long as we serve: the port stays ours between worker
    # restarts, and a bound socket that does not listen takes no connections.
    guard = reuseport_socket(host, port)
    context = multiprocessing.get_context("spawn")
    stopping: int | None = None  # the signal that stops us

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = signum

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def start() -> BaseProcess:
        process = context.Process(target=_worker, args=(host, port, uvicorn_options), name="fagmatch-worker")
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    try:
        while stopping is None:
            time.sleep(0.2)
            for i, process in enumerate(processes):
                if not process.is_alive() and stopping is None:
                    time.sleep(RESTART_PAUSE_SECONDS)
                    processes[i] = start()
    finally:
        if stopping == signal.SIGINT:
            # Ctrl-C in a terminal reaches the workers too, and each is already finishing its
            # requests: a second signal would make uvicorn drop them.
            _join_all(processes, 2.0)
        for process in processes:
            if process.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        _join_all(processes, STOP_GRACE_SECONDS)
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        guard.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _join_all(processes: list[BaseProcess], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
