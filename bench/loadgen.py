"""Keep-alive HTTP/1.1 load on loopback: the server under test, client connections, phase figures.

The client is a minimal HTTP/1.1 speaker over raw sockets (Content-Length
bodies only, which is all gunicorn sends for these endpoints): http.client
parses headers through the email package and would spend several times more
client CPU per request on a machine whose cores the server shares. The client
reports its own CPU time so its share of the machine stays visible.
"""
from __future__ import annotations

import itertools
import os
import resource
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
SCIM_JSON = "application/scim+json"


class ProtocolError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the server under test -----------------------------------------------------------------
class Server:
    """A gunicorn server this benchmark started (in its own process group) and will stop."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, cwd: str, log_path: str):
        self.name, self.argv, self.env, self.port, self.cwd, self.log_path = name, argv, env, port, cwd, log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self, timeout: float = 60.0) -> "Server":
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:
                    if r.status == 200 and self.worker_pids():
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def pids(self) -> list[int]:
        return [self.proc.pid, *self.worker_pids()] if self.proc else []

    def cpu_seconds(self) -> float:
        """utime + stime of the gunicorn master and its workers."""
        return sum(process_cpu_seconds(pid) for pid in self.pids())

    def worker_rss_mb(self) -> float:
        return sum(rss_mb(pid) for pid in self.worker_pids())

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)   # the group this benchmark created
            try:
                self.proc.wait(timeout=35)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self._log:
            self._log.close()
        self.proc = None


def process_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS   # utime, stime (fields 14 and 15)


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_busy_seconds() -> float:
    """CPU time every process spent, summed over all CPUs (from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- the client ---------------------------------------------------------------------------
class Connection:
    """One keep-alive connection; reconnects once when the server closed an idle one."""

    def __init__(self, port: int, token: str | None):
        self.port = port
        self.headers = f"Host: 127.0.0.1:{port}\r\nAccept: {SCIM_JSON}\r\n"
        if token:
            self.headers += f"Authorization: Bearer {token}\r\n"
        self.sock: socket.socket | None = None
        self.buf = b""
        self.reconnects = 0

    def _connect(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\n{self.headers}"
        if body is not None:
            head += f"Content-Type: {SCIM_JSON}\r\nContent-Length: {len(body)}\r\n"
        data = head.encode() + b"\r\n" + (body or b"")
        reused = self.sock is not None
        if not reused:
            self._connect()
        try:
            self.sock.sendall(data)
            return self._response()
        except (OSError, ProtocolError):
            self.close()
            if not reused:
                raise
        # The server closed a kept-alive connection before reading this request: send it again.
        self.reconnects += 1
        self._connect()
        self.sock.sendall(data)
        return self._response()

    def _recv(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ProtocolError("connection closed by the server")
        self.buf += chunk

    def _response(self) -> tuple[int, bytes]:
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            self._recv()
        head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
            elif name == "transfer-encoding":
                raise ProtocolError("chunked responses are not supported by this client")
        while len(self.buf) < length:
            self._recv()
        body, self.buf = self.buf[:length], self.buf[length:]
        if close:
            self.close()
        return status, body


# --- phases -------------------------------------------------------------------------------
@dataclass
class Phase:
    """``request(i)`` gives (method, path, body) for the i-th request; the phase ends after
    ``budget`` requests or ``seconds``, whichever comes first."""

    name: str
    request: Callable[[int], tuple[str, str, bytes | None]]
    expect: int = 200
    budget: int = 1000
    seconds: float = 10.0
    connections: int = 8
    ops_per_request: int = 1
    # An error text for a response that has the expected status but the wrong content, else None.
    check: Callable[[int, bytes], str | None] | None = None
    # Sees every successful response (e.g. to keep the ids a seeding phase created).
    on_success: Callable[[int, bytes], None] | None = None
    first: int = 0    # the index of the first request, to continue a phase in a later part


@dataclass
class Result:
    name: str
    requests: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    other_cpu: float = 0.0    # CPU time of every other process on the machine (noise)
    ops_per_request: int = 1
    reconnects: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def ops_per_s(self) -> float:
        return self.rps * self.ops_per_request

    def percentile_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def p50_ms(self) -> float:
        return self.percentile_ms(0.50)

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(0.99)

    @property
    def server_cpu_ms(self) -> float:
        return self.server_cpu * 1000 / self.requests if self.requests else float("nan")

    @property
    def client_cpu_ms(self) -> float:
        return self.client_cpu * 1000 / self.requests if self.requests else float("nan")

    @property
    def other_cpu_pct(self) -> float:
        """Other processes' share of the machine during the phase, in percent of all CPUs."""
        return 100 * self.other_cpu / (self.elapsed * (os.cpu_count() or 1)) if self.elapsed else float("nan")

    def merge(self, other: "Result") -> "Result":
        """This result and a later part of the same measurement, as one."""
        return Result(self.name, self.requests + other.requests, self.errors + other.errors,
                      self.elapsed + other.elapsed, self.latencies + other.latencies,
                      self.server_cpu + other.server_cpu, self.client_cpu + other.client_cpu,
                      self.other_cpu + other.other_cpu, self.ops_per_request,
                      self.reconnects + other.reconnects, (self.error_samples + other.error_samples)[:5])

    def as_dict(self) -> dict:
        return {"name": self.name, "requests": self.requests, "errors": self.errors,
                "seconds": round(self.elapsed, 3), "req_per_s": round(self.rps, 1),
                "ops_per_s": round(self.ops_per_s, 1), "p50_ms": round(self.p50_ms, 3),
                "p99_ms": round(self.p99_ms, 3), "server_cpu_ms_per_req": round(self.server_cpu_ms, 4),
                "client_cpu_ms_per_req": round(self.client_cpu_ms, 4),
                "other_cpu_pct": round(self.other_cpu_pct, 1), "reconnects": self.reconnects,
                "error_samples": self.error_samples}


MAX_CONSECUTIVE_FAILURES = 50   # a dead server ends the phase instead of spinning until its deadline


def run_phase(server: Server, token: str | None, phase: Phase) -> Result:
    result = Result(phase.name, ops_per_request=phase.ops_per_request)
    counter = itertools.count()
    lock = threading.Lock()
    start_gate = threading.Barrier(phase.connections + 1)
    deadline = [0.0]

    def note_error(text: str) -> None:
        with lock:
            result.errors += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(text[:300])

    def worker():
        conn = Connection(server.port, token)
        latencies: list[float] = []
        failures = 0
        start_gate.wait()
        while failures < MAX_CONSECUTIVE_FAILURES:
            i = next(counter)
            if i >= phase.budget or time.perf_counter() >= deadline[0]:
                break
            i += phase.first
            method, path, body = phase.request(i)
            t0 = time.perf_counter()
            try:
                status, data = conn.request(method, path, body)
            except (OSError, ProtocolError, ValueError) as exc:
                conn.close()
                failures += 1
                note_error(f"{method} {path}: {type(exc).__name__}: {exc}")
                continue
            latencies.append(time.perf_counter() - t0)
            failures = 0
            problem = None
            if status != phase.expect:
                problem = f"{method} {path}: status {status}: {data[:200]!r}"
            elif phase.check is not None:
                problem = phase.check(i, data)
            if problem:
                note_error(problem)
            elif phase.on_success is not None:
                phase.on_success(i, data)
        conn.close()
        with lock:
            result.latencies.extend(latencies)
            result.requests += len(latencies)
            result.reconnects += conn.reconnects

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(phase.connections)]
    for t in threads:
        t.start()
    cpu0, client0, busy0 = server.cpu_seconds(), client_cpu_seconds(), machine_busy_seconds()
    t0 = time.perf_counter()
    deadline[0] = t0 + phase.seconds
    start_gate.wait()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - t0
    result.server_cpu = server.cpu_seconds() - cpu0
    result.client_cpu = client_cpu_seconds() - client0
    result.other_cpu = max(0.0, machine_busy_seconds() - busy0 - result.server_cpu - result.client_cpu)
    return result
