"""Fixtures that run scim-service as a real server process (gunicorn) for end-to-end tests.

The ``live_server`` fixture is session-scoped and parametrised over the storage
backends, so every test in ``tests/live`` runs once against the in-memory
backend and once against the MongoDB backend (through mongomock). pytest groups
the tests by parameter, so each backend's server is started only once.

Only the standard library is used here on purpose.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

TOKEN_WS1 = "token-one"
TOKEN_WS2 = "token-two"
REPLAY_WORKSPACES = 80   # one fresh workspace per replayed scenario (tests/live/test_replay_over_http.py)
SCIM_TOKENS = f"ws1:{TOKEN_WS1},ws2:{TOKEN_WS2}" + "".join(
    f",replay{i}:replay-token-{i}" for i in range(REPLAY_WORKSPACES))

STARTUP_TIMEOUT = 20.0  # seconds to wait for /healthz
SHUTDOWN_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
TAIL_LINES = 60

BACKEND_ENV = {
    "memory": {"SCIM_BACKEND": "memory"},
    "mongodb": {"SCIM_BACKEND": "mongodb", "MONGODB_URI": "mongomock://localhost/scim"},
}


@dataclasses.dataclass
class LiveServer:
    backend: str
    host: str
    port: int
    root_url: str  # http://127.0.0.1:PORT
    base_url: str  # http://127.0.0.1:PORT/scim/v2
    token: str  # workspace ws1
    other_token: str  # workspace ws2
    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path

    def stderr_tail(self, lines: int = TAIL_LINES) -> str:
        return _tail(self.stderr_path, lines)

    def stdout_tail(self, lines: int = TAIL_LINES) -> str:
        return _tail(self.stdout_path, lines)


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server (gunicorn master); SIGKILL its process group after a grace period."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        # The server was started in its own session, so its process group id is
        # its pid: this reaches gunicorn's workers too, and nothing else.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=SHUTDOWN_TIMEOUT)


@pytest.fixture(scope="session", params=["memory", "mongodb"], ids=["memory", "mongodb"])
def live_server(request, tmp_path_factory):
    backend = request.param
    host = "127.0.0.1"
    port = _free_port(host)
    root_url = f"http://{host}:{port}"

    env = dict(os.environ)
    # Inherit the environment, minus settings that would change what these tests
    # talk to (another backend or database, a fixed public base URL).
    for name in list(env):
        if name in ("MONGODB_URI", "SCIM_BASE_URL") or name.startswith("SCIM_BACKEND"):
            del env[name]
    env["SCIM_TOKENS"] = SCIM_TOKENS
    env.update(BACKEND_ENV[backend])
    env["PYTHONUNBUFFERED"] = "1"

    log_dir = tmp_path_factory.mktemp(f"live-{backend}")
    stdout_path = log_dir / "server.stdout.log"
    stderr_path = log_dir / "server.stderr.log"
    cmd = [
        sys.executable,
        "-m",
        "scim_service.cli",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
    ]

    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )

    server = LiveServer(
        backend=backend,
        host=host,
        port=port,
        root_url=root_url,
        base_url=f"{root_url}/scim/v2",
        token=TOKEN_WS1,
        other_token=TOKEN_WS2,
        process=process,
        stdout_path=stdout_path,
        stderr_path=stderr_path,
    )

    deadline = time.monotonic() + STARTUP_TIMEOUT
    healthz = f"{root_url}/healthz"
    ready = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if _healthy(healthz):
            ready = True
            break
        time.sleep(0.2)

    if not ready:
        exit_code = process.poll()
        _stop(process)
        message = (
            f"scim-service ({backend} backend) did not become ready on {healthz} "
            f"within {STARTUP_TIMEOUT:.0f}s "
            f"({'exited with code ' + str(exit_code) if exit_code is not None else 'still running, killed'}).\n"
            f"command: {' '.join(cmd)} (cwd={REPO_ROOT})\n"
            f"--- stderr (last {TAIL_LINES} lines) ---\n{server.stderr_tail()}\n"
            f"--- stdout (last {TAIL_LINES} lines) ---\n{server.stdout_tail()}"
        )
        print(message, file=sys.stderr)
        pytest.fail(message, pytrace=False)

    try:
        yield server
    finally:
        _stop(process)
        if process.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL):
            print(
                f"scim-service ({backend}) exited with code {process.returncode}; "
                f"stderr tail:\n{server.stderr_tail()}",
                file=sys.stderr,
            )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing live test, attach the server's stderr tail (tracebacks, access log) to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    server = getattr(item, "funcargs", {}).get("live_server")
    if isinstance(server, LiveServer):
        report.sections.append(
            (f"live server stderr ({server.backend}, last {TAIL_LINES} lines)", server.stderr_tail())
        )
