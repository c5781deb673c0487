"""The HTTP protocol `fagmatch serve` runs (service/serve_command.py: ServiceHttpProtocol), over real
sockets on 127.0.0.1: a client that never completes its request's headers loses the connection, and
one that does is served as before, also after a pause on a kept-alive connection."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from service.serve_command import ServiceHttpProtocol


class QuickProtocol(ServiceHttpProtocol):
    headers_timeout = 0.5


async def hello(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain"),
                                                                         (b"content-length", b"3")]})
    await send({"type": "http.response.body", "body": b"hej"})


@pytest.fixture()
def port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(hello, host="127.0.0.1", port=free, http=QuickProtocol,
                                           log_level="warning", lifespan="off", timeout_keep_alive=30))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield free
    server.should_exit = True
    thread.join(10)


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection within `seconds` (an answer read on the way counts too)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def answer(sock: socket.socket) -> bytes:
    """One whole answer of `hello` (its head and body may come in separate packets)."""
    sock.settimeout(5)
    received = b""
    while not received.endswith(b"hej"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        received += chunk
    return received


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        assert closed_within(sock, 5)


def test_headers_sent_a_little_at_a_time_are_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the blank line that ends the headers never comes
        started = time.monotonic()
        for _ in range(6):  # a header line every 0.2 s would have held it open
            time.sleep(0.2)
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        assert closed_within(sock, 5)
        assert time.monotonic() - started < 3


def test_a_kept_alive_connection_serves_a_request_after_a_pause(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(REQUEST)
        assert answer(sock).startswith(b"HTTP/1.1 200")
        time.sleep(1.0)  # longer than the headers' limit: waiting between requests is the keep-alive's to judge
        sock.sendall(REQUEST)
        assert answer(sock).startswith(b"HTTP/1.1 200")


def test_headers_that_arrive_in_time_are_answered(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(REQUEST[:10])
        time.sleep(0.2)
        sock.sendall(REQUEST[10:])
        assert answer(sock).startswith(b"HTTP/1.1 200")
