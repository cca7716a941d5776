"""Fixtures for the job backend tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from http_server import Server, make_handler


@pytest.fixture
def server() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 and a free port, in a background thread."""
    scripted = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(scripted))
    scripted.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield scripted
    httpd.shutdown()
    httpd.server_close()
    thread.join()
