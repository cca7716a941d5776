"""A real, scripted HTTP server on 127.0.0.1 for the job backend tests."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Server:
    """A scripted server: each path answers its queued (status, body) pairs, repeating the last."""

    url: str = ""
    script: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    delays: dict[str, float] = field(default_factory=dict)
    """Seconds a path waits before it answers (a slow or hung endpoint)."""

    def answer(self, path: str, *responses: tuple[int, Any]) -> None:
        """Queue the responses for ``path``."""
        self.script[path] = list(responses)

    def next_response(self, path: str) -> tuple[int, Any]:
        """The next scripted response for ``path`` (404 if none)."""
        queue = self.script.get(path) or [(404, {"error": "no route"})]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def make_handler(server: Server) -> type[BaseHTTPRequestHandler]:
    """A request handler class answering from ``server``'s script."""

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.seen.append(Seen(self.command, self.path, headers, body))
            time.sleep(server.delays.get(self.path, 0.0))
            status, payload = server.next_response(self.path)
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "7")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = handle_one  # noqa: N815 - http.server's naming

        def log_message(self, *_: object) -> None:
            """Keep test output quiet."""

    return Handler


@contextlib.contextmanager
def serving() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 and a free port, in a background thread."""
    scripted = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(scripted))
    httpd.daemon_threads = True  # a delayed answer must not hold up the shutdown
    scripted.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield scripted
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
