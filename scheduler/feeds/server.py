"""`serve`: the feeds app on waitress, a production WSGI server, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from scheduler.feeds.app import FeedApp
from scheduler.feeds.tokens import ensure_tokens

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
THREADS = 4


def serve(
    out_dir: Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    on_ready: Callable[[str, int], None] = lambda host, port: None,
    on_wait: Callable[[], None] = lambda: None,
) -> None:
    """Serve the feeds of `out_dir` on `host`:`port` (0: any free port) until interrupted;
    `on_ready(host, port)` is called once the server listens. Returns after a clean
    shutdown on Ctrl-C (SIGINT) or SIGTERM. OSError when the address cannot be bound,
    HistoryError when the folder has no history."""
    from waitress.server import create_server

    ensure_tokens(out_dir, on_wait)
    app = FeedApp(out_dir)
    app.current()  # read the latest version before the first request
    server = create_server(app, host=host, port=port, threads=THREADS, ident="promo-scheduler")
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.getsignal(number) for number in signals}

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for number in signals:  # also when started in the background, where SIGINT is ignored
        signal.signal(number, stop)
    try:
        on_ready(host, server.effective_port)
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        server.close()
