"""A real server process (uvicorn) on a PostgreSQL schema, for tests that need one: the board's
cross-process live updates and the browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(database_url: str, *, environment: str = "development") -> Iterator[str]:
    """Run ``uvicorn --factory server.app:create_app`` on ``database_url``; yield its base URL."""
    port = free_port()
    env = dict(os.environ, PPJ_DATABASE_URL=database_url, PPJ_ENVIRONMENT=environment)
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{base_url}/health").status_code == 200:
                    break
            except httpx2.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)
