"""Run the real web app (`attunely serve`, uvicorn) in a child process on a free local port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RunningServer:
    """A started server: where it listens, its process and where its output goes."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, limit: int = 4000) -> str:
        """Return the end of the server's output, to explain a failure."""
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server, politely first."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def free_port() -> int:
    """Return a local TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _launch(data_dir: Path, log_path: Path, timeout: float) -> RunningServer:
    port = free_port()
    env = dict(os.environ)
    env["ATTUNELY_DATA_DIR"] = str(data_dir)
    env.pop("ATTUNELY_DATABASE_URL", None)
    env["ATTUNELY_COOKIE_SECURE"] = "true"
    command = [sys.executable, "-m", "attunely", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _healthy(server.base_url):
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the server did not start:\n{server.log_tail()}")


def start(
    data_dir: Path, *, log_path: Path, timeout: float = 30.0, attempts: int = 3
) -> RunningServer:
    """Start the app on a migrated data directory and wait until it answers.

    The port is chosen before the child binds it, so another process may take it in between;
    a few attempts make that race harmless.
    """
    error: RuntimeError | None = None
    for _ in range(attempts):
        try:
            return _launch(data_dir, log_path, timeout)
        except RuntimeError as exc:
            error = exc
    assert error is not None
    raise error
