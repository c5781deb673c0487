"""`fagmatch serve --workers N`: N uvicorn worker processes behind one port, with the connections
spread evenly over them.

The supervisor holds the listening socket, accepts every connection and hands it, in turn, to the
next worker that is ready (the socket's descriptor, passed over a Unix socket pair). Letting the
workers accept for themselves spread keep-alive clients badly: on uvicorn's shared socket the idle
worker took them all (32/0 was common), and with a socket per worker (SO_REUSEPORT) the kernel's
hash still gave 22/10 or 29/3, and the busier worker's clients waited twice as long
(bench/service.py). Handing over costs the supervisor one accept and one sendmsg per connection.

A worker that is still loading takes no connections: they wait in the listening queue until one is
ready. Each worker builds the app from the `ServiceConfig` that `serve` made (every option, as with
one worker)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import multiprocessing
import selectors
import signal
import socket
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from service.state import ServiceConfig

BACKLOG = 2048
RESTART_PAUSE_SECONDS = 1.0  # a worker that keeps dying is restarted at most this often
STOP_GRACE_SECONDS = 10.0
READY = b"r"  # a worker's word to the supervisor: it takes connections now
CONNECTION = b"c"  # the supervisor's message that carries a connection's descriptor


class PortInUse(OSError):
    """The address is taken by another program: nothing was started."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_port_free(host: str, port: int) -> None:
    """Raise PortInUse when anything holds host:port."""
    _bound(host, port).close()


def listening_socket(host: str, port: int) -> socket.socket:
    """A non-blocking socket listening on host:port; PortInUse when the port is taken."""
    sock = _bound(host, port)
    sock.listen(BACKLOG)
    sock.setblocking(False)
    return sock


def _bound(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


# ---------------------------------------------------------------- in each worker


class HandedServer(uvicorn.Server):
    """uvicorn serving the connections its supervisor hands over `channel`, instead of listening.
    It stops, finishing its requests, when the supervisor goes away."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._handing: set[asyncio.Task[Any]] = set()  # connections being set up (the loop keeps weak references)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app and its lifespan, and no listening socket
        if not self.started:
            return
        self.channel.setblocking(False)
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._take_connections)
        self.channel.send(READY)

    def _new_protocol(self) -> asyncio.Protocol:
        # What uvicorn's own startup builds for each connection on a listening socket.
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state,
        )

    def _take_connections(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.channel, len(CONNECTION), 1)
            except BlockingIOError:
                return
            except OSError:
                message, fds = b"", []
            if not message:  # the supervisor is gone: serve what we have, then stop
                loop.remove_reader(self.channel.fileno())
                self.should_exit = True
                return
            for fd in fds:
                connection = socket.socket(fileno=fd)
                task = loop.create_task(loop.connect_accepted_socket(self._new_protocol, connection))
                self._handing.add(task)
                task.add_done_callback(functools.partial(self._handed, connection))

    def _handed(self, connection: socket.socket, task: asyncio.Task[Any]) -> None:
        self._handing.discard(task)
        if task.cancelled() or task.exception() is not None:  # e.g. the client left at once
            connection.close()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        with contextlib.suppress(ValueError, OSError):  # already removed, or closed
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
        self.channel.close()
        await super().shutdown(sockets)


def _worker(channel: socket.socket, uvicorn_options: dict[str, Any], service: ServiceConfig) -> None:
    from service.app import create_app

    HandedServer(uvicorn.Config(create_app(service), **uvicorn_options), channel).run()


# ---------------------------------------------------------------- the supervisor


@dataclass
class _Worker:
    process: BaseProcess
    channel: socket.socket  # the supervisor's end
    ready: bool = False


def run_workers(host: str, port: int, workers: int, uvicorn_options: dict[str, Any], service: ServiceConfig) -> None:
    """Listen on host:port, start the workers and keep them running (a dead one is restarted), handing
    each new connection to the next ready worker, until SIGINT or SIGTERM; then stop them all
    gracefully. Raises PortInUse when the port is taken."""
    listener = listening_socket(host, port)
    context = multiprocessing.get_context("spawn")
    stopping: int | None = None  # the signal that stops us

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = signum

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    selector = selectors.DefaultSelector()

    def start() -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = context.Process(target=_worker, args=(theirs, uvicorn_options, service), name="fagmatch-worker")
        process.start()
        theirs.close()
        ours.setblocking(False)  # a worker too busy to take more must not hold up the others
        worker = _Worker(process, ours)
        selector.register(ours, selectors.EVENT_READ, worker)
        return worker

    pool = [start() for _ in range(workers)]
    restart_due: dict[int, float] = {}  # slot → when its dead worker is started again
    turn = itertools.count()
    listening = False
    try:
        while stopping is None:
            ready = [w for i, w in enumerate(pool) if w.ready and i not in restart_due]
            if bool(ready) != listening:  # accept only while some worker can take the connection
                if ready:
                    selector.register(listener, selectors.EVENT_READ, None)
                else:
                    selector.unregister(listener)
                listening = bool(ready)
            for key, _ in selector.select(timeout=0.2):
                if key.data is None:
                    _hand_over(listener, ready, turn)
                else:
                    _hear(key.data, selector)
            for i, worker in enumerate(pool):
                if i in restart_due:
                    if time.monotonic() >= restart_due[i] and stopping is None:
                        del restart_due[i]
                        pool[i] = start()
                elif not worker.process.is_alive():
                    _forget(worker, selector)
                    restart_due[i] = time.monotonic() + RESTART_PAUSE_SECONDS
    finally:
        listener.close()  # new connections are refused from here on
        processes = [w.process for w in pool]
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
        for worker in pool:
            worker.channel.close()
        selector.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _hand_over(listener: socket.socket, ready: list[_Worker], turn: itertools.count[int]) -> None:
    """Accept what is waiting and give each connection to the next ready worker, round-robin."""
    while True:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # e.g. the client gave up before we accepted (ECONNABORTED), or out of fds
            return
        with connection:  # our copy of the descriptor is closed once a worker has its own
            for _ in range(len(ready)):
                worker = ready[next(turn) % len(ready)]
                try:
                    socket.send_fds(worker.channel, [CONNECTION], [connection.fileno()])
                    break
                except ConnectionError:  # that worker just died (its end is closed): the next one
                    worker.ready = False
                except OSError:
                    # It cannot take more now (hundreds of connections wait for it, or the
                    # descriptors in flight hit their limit): the next one.
                    continue
            # Taken by no worker (all gone, or all swamped): the client sees the connection closed.
            ready[:] = [w for w in ready if w.ready]
            if not ready:
                return


def _hear(worker: _Worker, selector: selectors.BaseSelector) -> None:
    """A worker's message: ready, or (end of file) gone."""
    try:
        message = worker.channel.recv(16)
    except BlockingIOError:
        return
    except OSError:
        message = b""
    if message == READY:
        worker.ready = True
    elif not message:
        worker.ready = False
        selector.unregister(worker.channel)


def _forget(worker: _Worker, selector: selectors.BaseSelector) -> None:
    with contextlib.suppress(KeyError, ValueError):
        selector.unregister(worker.channel)
    worker.ready = False
    worker.channel.close()
    worker.process.join()


def _join_all(processes: list[BaseProcess], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
