"""Serving: `create_app(store)` builds the web app, `run(app, host, port)` serves it until Ctrl-C/SIGTERM."""
from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from marsad.serve.app import create_app

__all__ = ["bind", "create_app", "run"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 picks a free one); OSError says why it failed."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)  # listening before on_ready: the announced URL accepts connections at once
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def run(
    app: ASGIApp,
    host: str,
    port: int,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "info",
) -> None:
    """Serve `app` on host:port until Ctrl-C or SIGTERM, then return normally.

    The socket is bound first, so with port 0 the real port is known: `on_ready` receives the
    server's URL ("http://HOST:PORT/") once it accepts connections and handles Ctrl-C/SIGTERM.
    """
    sock = bind(host, port)
    try:
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{sock.getsockname()[1]}/"
        server = _Server(uvicorn.Config(app, log_level=log_level, lifespan="on"))
        server.on_started = (lambda: on_ready(url)) if on_ready else None
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()


class _Server(uvicorn.Server):
    """uvicorn's Server, announcing itself once started, and not re-raising the stop signal.

    (uvicorn re-raises SIGINT/SIGTERM once it has stopped, which ends the process with a
    KeyboardInterrupt traceback or a killed-by-signal status; stopping is the normal end of `run`.)
    """

    on_started: Callable[[], None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.on_started is not None:
            self.on_started()  # only now: listening, and our signal handlers are in place

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals can only be handled in the main thread
            return
        stop_signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._stop) for sig in stop_signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, sig: int, _frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True  # a second Ctrl-C: don't wait for open connections
        self.should_exit = True
