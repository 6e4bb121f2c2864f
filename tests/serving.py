"""`spinscope serve` in a subprocess, for the browser, crash and load tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`python -m spinscope serve` on 127.0.0.1, started and waited for; `kill()` sends
    SIGKILL, `stop()` SIGTERM."""

    def __init__(self, db: str, *args: str, log: Path | None = None, timeout: float = 120) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        self._log = open(log, "wb") if log else None  # noqa: SIM115
        out = self._log or subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "spinscope",
                "serve",
                "--db",
                db,
                "--port",
                str(self.port),
                *args,
            ],
            stdout=out,
            stderr=out,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                self._close_log()
                detail = log.read_text(errors="replace")[-2000:] if log else ""
                raise RuntimeError(
                    f"spinscope serve exited with {self.process.returncode}: {detail}"
                )
            try:
                if httpx.get(self.base + "/api/v1/articles?limit=1", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"spinscope serve did not answer within {timeout:g} s")
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        self._close_log()

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()
