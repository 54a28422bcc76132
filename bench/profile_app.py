"""The service's own cost per request, without gunicorn or sockets: the Flask app called as WSGI.

    python bench/profile_app.py get_id                 # microseconds per request, then a cProfile
    python bench/profile_app.py page_100 --users 10000 --requests 2000 --top 30

What run.py measures under load includes gunicorn's event loop and the
kernel; this isolates the Flask app (the part the service's code decides), so
a change to a hot spot shows here as a plain number of microseconds.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import urllib.parse
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # the repository, for scim_service

from scim_service.app import create_app  # noqa: E402

from run import (  # noqa: E402
    BASE, bulk_body, email, external_id, members_add, patch_body, spread, user_body, user_name,
)

TOKEN = "profile-token"
ENDPOINTS = ("get_id", "filter_username", "filter_externalId", "filter_emails", "page_100", "post_user",
             "patch_active", "member_add", "bulk_100")


class App:
    def __init__(self):
        self.app = create_app({"SCIM_TOKENS": f"bench:{TOKEN}", "SCIM_LOG_LEVEL": "WARNING"})

    def call(self, method: str, target: str, body: bytes | None = None) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": urllib.parse.unquote(path),
            "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
            "HTTP_ACCEPT": "application/scim+json", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body or b""),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        if body is not None:
            environ["CONTENT_TYPE"] = "application/scim+json"
            environ["CONTENT_LENGTH"] = str(len(body))
        status = []
        chunks = self.app(environ, lambda s, h, exc=None: status.append(s))
        data = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return int(status[0].split()[0]), data


def seed(app: App, users: int) -> tuple[list[str], str]:
    ids = [orjson.loads(app.call("POST", f"{BASE}/Users", orjson.dumps(user_body("user", i)))[1])["id"]
           for i in range(users)]
    status, body = app.call("POST", f"{BASE}/Groups", orjson.dumps({"displayName": "Target"}))
    gid = orjson.loads(body)["id"]
    for k in range(0, min(users // 2, 10_000), 1000):
        app.call("PATCH", f"{BASE}/Groups/{gid}", members_add(ids[k:min(k + 1000, users // 2)]))
    return ids, gid


def requests_for(endpoint: str, ids: list[str], gid: str):
    n = len(ids)

    def q(expression):
        return f"{BASE}/Users?filter={urllib.parse.quote(expression)}"

    return {
        "get_id": lambda i: ("GET", f"{BASE}/Users/{ids[spread(i, n)]}", None),
        "filter_username": lambda i: ("GET", q(f'userName eq "{user_name("user", spread(i, n))}"'), None),
        "filter_externalId": lambda i: ("GET", q(f'externalId eq "{external_id("user", spread(i, n))}"'), None),
        "filter_emails": lambda i: ("GET", q(f'emails[type eq "work"].value eq "{email("user", spread(i, n))}"'),
                                    None),
        "page_100": lambda i: ("GET", f"{BASE}/Users?startIndex={spread(i, n - 100) + 1}&count=100", None),
        "post_user": lambda i: ("POST", f"{BASE}/Users", orjson.dumps(user_body("post", i))),
        "patch_active": lambda i: ("PATCH", f"{BASE}/Users/{ids[spread(i, n)]}",
                                   patch_body({"op": "replace", "path": "active", "value": (i // n) % 2 == 1})),
        "member_add": lambda i: ("PATCH", f"{BASE}/Groups/{gid}", members_add([ids[n // 2 + i % (n // 2)]])),
        "bulk_100": lambda i: ("POST", f"{BASE}/Bulk", bulk_body("bulk", i * 100, 100)),
    }[endpoint]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("endpoint", choices=ENDPOINTS)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--batches", type=int, default=8)
    args = parser.parse_args(argv)

    app = App()
    ids, gid = seed(app, args.users)
    make = requests_for(args.endpoint, ids, gid)
    for i in range(min(200, args.requests)):   # warm-up
        app.call(*make(args.requests * 2 + i))
    # CPU time, so other processes do not count directly; they still disturb caches and clocks, so the
    # requests run in batches and the fastest batch is the figure (the median shows the spread).
    batch = max(1, args.requests // args.batches)
    timings = []
    for b in range(args.batches):
        t0 = time.process_time()
        for i in range(b * batch, (b + 1) * batch):
            status, body = app.call(*make(i))
            if status >= 400:
                raise SystemExit(f"{args.endpoint}: status {status}: {body[:300]!r}")
        timings.append((time.process_time() - t0) / batch * 1e6)
    timings.sort()
    print(f"{args.endpoint}: {timings[0]:.0f} us of CPU per request in the Flask app, fastest of "
          f"{args.batches} batches of {batch} (median {timings[len(timings) // 2]:.0f}; {args.users} users)")

    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(args.requests, 2 * args.requests):
        app.call(*make(i))
    profiler.disable()
    stats = pstats.Stats(profiler)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(f"\n--- by {order} (over {args.requests} requests) ---")
        print(out.getvalue().split("\n\n", 2)[-1].rstrip())
    del stats
    return 0


if __name__ == "__main__":
    sys.exit(main())
