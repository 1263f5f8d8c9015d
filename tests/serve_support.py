"""`kiosk serve` as its own process on a loopback port, for the API and browser tests: a
real uvicorn on the test's store file and config, the clock frozen by KIOSK_NOW. (No tests
here.)"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from .conftest import REPO, write_config

NOW = "2026-11-27T09:00:00+07:00"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """A site (config + store in tmp_path) and its `kiosk serve` process."""

    def __init__(self, tmp_path: Path, extra: str = "",
                 replace: dict[str, str] | None = None) -> None:
        self.tmp_path = tmp_path
        self.config = write_config(tmp_path, extra, replace)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None
        self.log = tmp_path / "serve.log"

    def env(self) -> dict[str, str]:
        return {**os.environ, "KIOSK_CONFIG": str(self.config), "KIOSK_NOW": NOW,
                "PYTHONPATH": str(REPO)}

    def kiosk(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "kiosk", *args], env=self.env(),
                              cwd=self.tmp_path, capture_output=True, text=True, timeout=60)
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def key(self, name: str, scopes: str) -> str:
        return self.kiosk("api-key", "add", name, "--scope", scopes).stdout.strip()

    def start(self, timeout: float = 30.0) -> None:
        out = self.log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "serve", "--port", str(self.port)],
            env=self.env(), cwd=self.tmp_path, stdout=out, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code in (200, 503):
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise AssertionError(f"kiosk serve exited: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"kiosk serve did not answer: {self.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def get(self, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.get(self.url + path, headers=headers, timeout=10, **kwargs)

    def post(self, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        headers.update(kwargs.pop("headers", {}))
        return httpx.post(self.url + path, headers=headers, timeout=10, **kwargs)
