"""Loading a directory through Bulk vs through single requests, against a live server on loopback.

Starts ``python -m scim_service.cli serve`` on a free 127.0.0.1 port, then loads
N users and N/100 groups of 100 members twice, into two workspaces: once as
single POSTs, once as BulkRequests of 100 operations. Both use the same number
of threads, each with its own keep-alive connection. Prints operations per
second for each and the ratio; it asserts nothing.

    python bench/bulk_load.py                  # 10,000 users, 100 groups, memory backend
    python bench/bulk_load.py --users 1000 --threads 2
"""
from __future__ import annotations

import argparse
import http.client
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
TOKENS = {"single": "bench-single-token", "bulk": "bench-bulk-token"}
OPS_PER_BULK = 100
GROUP_SIZE = 100
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, backend: str) -> subprocess.Popen:
    env = {**os.environ, "SCIM_TOKENS": ",".join(f"{ws}:{tok}" for ws, tok in TOKENS.items()),
           "SCIM_BACKEND": backend, "SCIM_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    if backend == "mongodb":
        env.setdefault("MONGODB_URI", "mongomock://localhost/bench")
    return subprocess.Popen([sys.executable, "-m", "scim_service.cli", "serve", "--host", HOST, "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_healthy(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}:\n{server.stderr.read().decode()}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer /healthz within {START_TIMEOUT:.0f}s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


class Client:
    """One keep-alive connection with a workspace token."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json",
                        "Accept": "application/scim+json"}

    def call(self, method: str, path: str, body=None) -> tuple[int, dict | None]:
        self.conn.request(method, "/scim/v2" + path, body=orjson.dumps(body) if body is not None else None,
                          headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, orjson.loads(data) if data else None

    def close(self) -> None:
        self.conn.close()


def run_parallel(port: int, token: str, threads: int, jobs: list, work) -> tuple[list, float]:
    """Run ``work(client, job)`` over every job on ``threads`` connections; results in job order."""
    todo: queue.Queue = queue.Queue()
    for i, job in enumerate(jobs):
        todo.put((i, job))
    results: list = [None] * len(jobs)

    def worker():
        client = Client(port, token)
        try:
            while True:
                try:
                    i, job = todo.get_nowait()
                except queue.Empty:
                    return
                results[i] = work(client, job)
        finally:
            client.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results, time.perf_counter() - started


def user_body(i: int) -> dict:
    return {"schemas": [USER], "userName": f"user{i:06d}@example.com", "externalId": f"ext-{i:06d}",
            "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
            "emails": [{"value": f"user{i:06d}@example.com", "type": "work", "primary": True}]}


def group_body(g: int, member_ids: list[str]) -> dict:
    return {"schemas": [GROUP], "displayName": f"group{g:04d}", "members": [{"value": m} for m in member_ids]}


def chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def load_single(port: int, users: int, threads: int) -> dict:
    def create(client, body):
        status, created = client.call("POST", body.pop("_endpoint"), body)
        return created["id"] if status == 201 else None

    user_ids, user_seconds = run_parallel(port, TOKENS["single"], threads,
                                          [{"_endpoint": "/Users", **user_body(i)} for i in range(users)], create)
    groups = [{"_endpoint": "/Groups", **group_body(g, ids)}
              for g, ids in enumerate(chunks([i for i in user_ids if i], GROUP_SIZE))]
    group_ids, group_seconds = run_parallel(port, TOKENS["single"], threads, groups, create)
    ok = sum(1 for i in user_ids + group_ids if i)
    return {"operations": len(user_ids) + len(group_ids), "ok": ok, "requests": len(user_ids) + len(group_ids),
            "seconds": user_seconds + group_seconds}


def load_bulk(port: int, users: int, threads: int) -> dict:
    def send(client, operations):
        status, response = client.call("POST", "/Bulk", {"schemas": [BULK], "Operations": operations})
        if status != 200:
            return [None] * len(operations)
        return [e["location"].rsplit("/", 1)[1] if e["status"] == "201" else None for e in response["Operations"]]

    user_ops = [{"method": "POST", "path": "/Users", "bulkId": f"u{i}", "data": user_body(i)} for i in range(users)]
    user_batches, user_seconds = run_parallel(port, TOKENS["bulk"], threads, chunks(user_ops, OPS_PER_BULK), send)
    user_ids = [i for batch in user_batches for i in batch if i]
    group_ops = [{"method": "POST", "path": "/Groups", "bulkId": f"g{g}", "data": group_body(g, ids)}
                 for g, ids in enumerate(chunks(user_ids, GROUP_SIZE))]
    group_batches, group_seconds = run_parallel(port, TOKENS["bulk"], threads, chunks(group_ops, OPS_PER_BULK), send)
    ok = sum(1 for batch in user_batches + group_batches for i in batch if i)
    return {"operations": len(user_ops) + len(group_ops), "ok": ok,
            "requests": len(user_batches) + len(group_batches), "seconds": user_seconds + group_seconds}


def totals(port: int, workspace: str) -> str:
    client = Client(port, TOKENS[workspace])
    try:
        counts = [client.call("GET", f"{endpoint}?count=0")[1]["totalResults"] for endpoint in ("/Users", "/Groups")]
    finally:
        client.close()
    return f"{counts[0]:,} users, {counts[1]:,} groups stored"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="users to load (groups: users / 100)")
    parser.add_argument("--threads", type=int, default=4, help="client threads, one connection each")
    parser.add_argument("--backend", default="memory", choices=("memory", "mongodb"))
    args = parser.parse_args(argv)
    if args.users < 1 or args.threads < 1:
        parser.error("--users and --threads must be at least 1")

    port = free_port()
    server = start_server(port, args.backend)
    try:
        wait_until_healthy(port, server)
        print(f"server on http://{HOST}:{port}/scim/v2 ({args.backend} backend); loading {args.users:,} users "
              f"and {args.users // GROUP_SIZE:,} groups of {GROUP_SIZE}, {args.threads} client threads", flush=True)
        results = {}
        for name, load in (("single", load_single), ("bulk", load_bulk)):
            r = results[name] = load(port, args.users, args.threads)
            print(f"  {name:6}  {r['operations']:>7,} operations in {r['requests']:>6,} requests, "
                  f"{r['ok']:,} succeeded, {r['seconds']:7.2f}s, {r['operations'] / r['seconds']:8.0f} operations/s"
                  f"  ({totals(port, name)})", flush=True)
        ratio = (results["bulk"]["operations"] / results["bulk"]["seconds"]) / (
            results["single"]["operations"] / results["single"]["seconds"])
        print(f"  bulk / single throughput: {ratio:.2f}x")
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
