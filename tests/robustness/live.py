"""A real gunicorn server per test module, and requests to it from many threads at once.

``tests/live/conftest.py`` keeps one session server per backend; these tests
need their own (concurrency counts versions from a clean state, and the
shutdown test kills its server), so this module starts one with the CLI the
README documents: ``python -m scim_service.cli serve --threads 8``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.robustness.checks import HAS_MONGODB, REPO_ROOT

TOKEN_A, TOKEN_B = "robust-token-a", "robust-token-b"
BACKENDS = ["memory"] + (["mongodb"] if HAS_MONGODB else [])
BACKEND_ENV = {
    "memory": {"SCIM_BACKEND": "memory"},
    "mongodb": {"SCIM_BACKEND": "mongodb", "MONGODB_URI": "mongomock://localhost/scim"},
}
STARTUP_TIMEOUT = 20.0


@dataclasses.dataclass
class Server:
    backend: str
    port: int
    process: subprocess.Popen
    stderr_path: Path
    token: str = TOKEN_A

    def request(self, method: str, path: str, body=None, *, token: str | None = TOKEN_A,
                headers: dict | None = None, timeout: float = 30.0) -> tuple[int, dict, object]:
        """(status, lower-cased headers, JSON body or raw text or None)."""
        # One request per connection; ``path`` is relative to /scim/v2 except the health checks.
        target = path if path.startswith(("/healthz", "/readyz")) else "/scim/v2" + path
        sent = {"Accept": "application/scim+json", "Connection": "close"}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = None
        if isinstance(body, bytes):
            payload = body   # sent as is: the caller sets the Content-Type
        elif body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/scim+json"
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, target, body=payload, headers=sent)
            response = conn.getresponse()
            raw = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, _decode(raw)
        finally:
            conn.close()

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")


def _decode(raw: bytes):
    """The JSON body, else the raw text (so a test can show what came back), else None."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def stop(process: subprocess.Popen, timeout: float = 15.0) -> int:
    """SIGTERM the gunicorn master; SIGKILL its process group (it runs in its own session) if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
    return process.returncode


@contextlib.contextmanager
def running_server(log_dir: Path, backend: str = "memory", **extra_env):
    """Start ``scim-service serve`` on a free port, wait for /healthz, stop it afterwards.

    Its output goes to files in ``log_dir`` (a pytest tmp_path), readable after it stops."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SCIM_", "MONGODB_", "WEB_CONCURRENCY"))}
    env.update(BACKEND_ENV[backend], SCIM_TOKENS=f"a:{TOKEN_A},b:{TOKEN_B}", PYTHONUNBUFFERED="1", **extra_env)
    port = free_port()
    stderr_path = log_dir / "stderr.log"
    with open(log_dir / "stdout.log", "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "scim_service.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--threads", "8"],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
    server = Server(backend, port, process, stderr_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"scim-service ({backend}) did not start:\n{server.stderr()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        stop(process)


def in_parallel(calls: list) -> list:
    """Run every zero-argument callable in its own thread, released together; results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:   # reported with the other results, so the test can say which one
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results
