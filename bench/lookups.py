"""IdP lookups at 1,000 and at 100,000 users, in process (no HTTP), on a chosen backend.

Prints the p50 cost of each lookup an IdP makes on every sync, through the
whole Flask app (auth, parse, query, render, JSON), at both sizes, and the
100k/1k ratio. An index shows as a ratio near 1; a scan as a ratio near 100.

    python bench/lookups.py                     # memory backend
    python bench/lookups.py --backend mongodb   # MongoDB backend on mongomock
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scim_service import create_app  # noqa: E402
from scim_service.schema import USER_TYPE  # noqa: E402
from scim_service.service import crud  # noqa: E402
from scim_service.service.context import Context  # noqa: E402

TOKEN = "bench-token"
LOOKUPS = {
    "GET /Users/{id}": lambda u: f"/scim/v2/Users/{u['id']}",
    "filter id eq": lambda u: f'/scim/v2/Users?filter=id eq "{u["id"]}"',
    "filter userName eq": lambda u: f'/scim/v2/Users?filter=userName eq "{u["userName"]}"',
    "filter externalId eq": lambda u: f'/scim/v2/Users?filter=externalId eq "{u["externalId"]}"',
    'filter emails[type eq "work"].value eq': lambda u: (
        f'/scim/v2/Users?filter=emails[type eq "work"].value eq "{u["emails"][0]["value"]}"'),
}


def _user(i: int) -> dict:
    return {"userName": f"user{i:07d}@example.com", "externalId": f"ext-{i:07d}", "active": True,
            "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
            "emails": [{"value": f"user{i:07d}@example.com", "type": "work", "primary": True}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": f"Dept{i % 50}"}}


def measure(backend_name: str, size: int, samples: int) -> dict[str, float]:
    env = {"SCIM_TOKENS": f"bench:{TOKEN}", "SCIM_BACKEND": backend_name, "SCIM_LOG_LEVEL": "WARNING"}
    if backend_name == "mongodb":
        env["MONGODB_URI"] = "mongomock://localhost/bench"
    app = create_app(env)
    ctx = Context(app.extensions["scim_backend"], app.config["SCIM"], "bench", "bench", "http://bench/scim/v2")
    started = time.perf_counter()
    users = [crud.create(ctx, USER_TYPE, _user(i)).resource for i in range(size)]
    print(f"  seeded {size:,} users in {time.perf_counter() - started:.1f}s", flush=True)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    step = max(1, size // samples)
    results = {}
    for name, url in LOOKUPS.items():
        for user in users[:50]:   # warm caches (parsed filters, projections) before timing
            client.get(url(user), headers=headers)
        timings = []
        for user in users[::step][:samples]:
            t0 = time.perf_counter()
            r = client.get(url(user), headers=headers)
            timings.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.get_data(as_text=True)
        results[name] = statistics.median(timings) * 1e6
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="memory")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    print(f"backend {args.backend}: p50 latency per lookup, in-process Flask test client")
    small = measure(args.backend, args.small, args.samples)
    large = measure(args.backend, args.large, args.samples)
    print(f"\n{'lookup':42} {args.small:>9,} {args.large:>11,}  ratio")
    for name in LOOKUPS:
        print(f"{name:42} {small[name]:8.0f}us {large[name]:10.0f}us  {large[name] / small[name]:5.2f}")


if __name__ == "__main__":
    main()
