"""`make bench`: the service under load on loopback, against a minimal Flask ceiling.

    python bench/run.py                 # full run (about 6 minutes on 2 cores)
    python bench/run.py --quick         # smaller data, shorter phases (about 1 minute)
    python bench/run.py --only get_id,page_100 --profile get_id,page_100

Starts the ceiling app and the service (``scim-service serve``) itself, seeds
them, measures each phase with keep-alive connections and prints a table of
figures with the target for each, marked PASS or MISS. Figures, not asserts:
the exit status is 0 unless the benchmark itself could not run. See README.md.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from ledger import Ledger
from loadgen import Phase, Result, Server, free_port, run_phase

ROOT = Path(__file__).resolve().parent.parent
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BASE = "/scim/v2"
MEMBERS_PER_BUILD_REQUEST = 1000    # the server accepts up to 10,000 members per request by default

MAIN_PHASES = ("post_user", "get_id", "filter_username", "page_100", "patch_active", "member_add", "bulk")
SCALE_PHASES = ("lookups", "members_scale", "memory")
LOOKUPS = ("id", "userName", "externalId", "emails")
SCALE_INFO = ("page",)   # measured at both sizes too, without a target

GIVEN = ("Barbara", "Kenji", "Amara", "Lucas", "Priya", "Olga", "Mateo", "Chen", "Fatima", "Noah")
FAMILY = ("Jensen", "Tanaka", "Okafor", "Silva", "Sharma", "Ivanova", "Garcia", "Wei", "Haddad", "Smith")
DEPARTMENTS = ("Engineering", "Sales", "Finance", "Marketing", "Support", "Legal", "Operations")


@dataclass(frozen=True)
class Settings:
    users: int            # N, the main server's users
    groups: int           # G, the main server's groups (users spread over them)
    members: int          # M, members of the group the member_add phase grows
    scale_small: int      # users for the first lookup measurement
    scale_large: int      # users for the second one, the memory figure and the big group
    small_group: int      # members of the small group in members_scale
    budget: int           # requests per phase at most ...
    seconds: float        # ... and seconds per phase at most
    connections: int = 8
    threads: int = 4
    seed_seconds: float = 300.0


FULL = Settings(users=10_000, groups=100, members=1_000, scale_small=1_000, scale_large=100_000,
                small_group=10, budget=20_000, seconds=10.0)
QUICK = Settings(users=2_000, groups=20, members=200, scale_small=1_000, scale_large=10_000,
                 small_group=10, budget=3_000, seconds=3.0)


# --- request bodies -------------------------------------------------------------------------
def user_body(prefix: str, i: int) -> dict:
    given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
    return {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "userName": user_name(prefix, i),
        "externalId": external_id(prefix, i),
        "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
        "emails": [{"value": email(prefix, i), "type": "work", "primary": True}],
        "active": True,
        ENTERPRISE_URN: {"department": DEPARTMENTS[i % len(DEPARTMENTS)]},
    }


def user_name(prefix: str, i: int) -> str:
    return f"{prefix}{i:07d}@example.com"


def external_id(prefix: str, i: int) -> str:
    return f"{prefix}-ext-{i:07d}"


def email(prefix: str, i: int) -> str:
    return f"{prefix}{i:07d}@mail.example.com"


def patch_body(*operations: dict) -> bytes:
    return orjson.dumps({"schemas": [PATCH_URN], "Operations": list(operations)})


def members_add(ids) -> bytes:
    return patch_body({"op": "add", "path": "members", "value": [{"value": i} for i in ids]})


def bulk_body(prefix: str, first: int, count: int) -> bytes:
    return orjson.dumps({"schemas": [BULK_URN], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": f"{prefix}{n}", "data": user_body(prefix, n)}
        for n in range(first, first + count)]})


def filter_path(expression: str) -> str:
    return f"{BASE}/Users?filter={urllib.parse.quote(expression)}"


def spread(i: int, n: int) -> int:
    """The i-th request's row among n, scattered (a prime stride) rather than sequential."""
    return (i * 7919) % n


def one_result(_i: int, body: bytes) -> str | None:
    return None if b'"totalResults":1,' in body else f"expected exactly one result: {body[:200]!r}"


def full_page(_i: int, body: bytes) -> str | None:
    return None if b'"itemsPerPage":100,' in body else f"not a full page: {body[:200]!r}"


# --- the servers ------------------------------------------------------------------------------
class Bench:
    """Everything one run shares: settings, the token, a log directory, results."""

    def __init__(self, settings: Settings, selected: set[str], profile: set[str], workdir: Path):
        self.s = settings
        self.selected = selected
        self.profile = profile
        self.workdir = workdir
        # One workspace for the main phases; the scale run keeps 1k and 100k users in two workspaces
        # of one server, so their lookups can be measured in alternation (a busy machine hits both).
        self.tokens = {ws: f"bench-{ws}-" + secrets.token_urlsafe(24) for ws in ("bench", "small", "large")}
        self.token = self.tokens["bench"]
        self.results: dict[str, Result] = {}
        self.seeding: list[Result] = []
        self.ledgers: list[Ledger] = []   # one per server: the acknowledged writes, audited at its end
        self.figures: dict[str, float] = {}
        self.servers: list[Server] = []
        self.ceiling: Server | None = None
        self.profiles: dict[str, Path] = {}

    # servers
    def start_service(self, name: str) -> Server:
        port = free_port()
        tokens = ",".join(f"{ws}:{token}" for ws, token in self.tokens.items())
        env = {**os.environ, "SCIM_TOKENS": tokens, "SCIM_LOG_LEVEL": "WARNING"}
        argv = [sys.executable, "-m", "scim_service.cli", "serve", "--host", "127.0.0.1",
                "--port", str(port), "--threads", str(self.s.threads)]
        return self._start(Server(name, argv, env, port, str(ROOT), str(self.workdir / f"{name}.log")))

    def start_ceiling(self) -> Server:
        port = free_port()
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "SCIM_THREADS": str(self.s.threads),
               "WEB_CONCURRENCY": "1", "SCIM_LOG_LEVEL": "WARNING"}
        argv = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "scim_service" / "gunicorn_conf.py"),
                "bench.ceiling_app:app"]
        return self._start(Server("ceiling", argv, env, port, str(ROOT), str(self.workdir / "ceiling.log")))

    def _start(self, server: Server) -> Server:
        server.start()
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()

    # measuring
    def measure(self, parts: list[tuple[str, Server, Phase, str | None]], rounds: int = 2) -> None:
        """Measure (key, server, phase, token) parts in turn, ``rounds`` times, each time with a
        share of the phase's budget and time, so that a change in the machine's load weighs on
        every part alike. A profiled part is measured in one go instead (py-spy records it)."""
        if len(parts) == 1 or any(key in self.profile for key, *_ in parts):
            rounds = 1
        merged: dict[str, Result] = {}
        profiled = set()
        for r in range(rounds):
            for key, server, phase, token in parts:
                share = max(1, phase.budget // rounds)
                part = replace(phase, budget=share, seconds=phase.seconds / rounds, first=r * share)
                spy = self._start_profiler(server, key) if key in self.profile else None
                try:
                    result = run_phase(server, token or self.token, part)
                finally:
                    if spy is not None:
                        self._stop_profiler(spy)
                        profiled.add(key)
                merged[key] = merged[key].merge(result) if key in merged else result
        for key, *_ in parts:
            self._keep(key, merged[key], key in profiled)

    def with_ceiling(self, key: str, parts: list[tuple[str, Server, Phase, str | None]]) -> None:
        """Measure ``parts`` alternately with the ceiling, kept as ``ceiling@<key>``."""
        self.measure([(f"ceiling@{key}", self.ceiling, ceiling_phase(self), None), *parts])

    def _keep(self, key: str, result: Result, profiled: bool = False) -> None:
        self.results[key] = result
        print(f"  {key:<26} {result.requests:>6} req in {result.elapsed:4.1f} s {result.rps:7.1f} req/s  "
              f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  errors {result.errors}  "
              f"CPU/req server {result.server_cpu_ms:.3f} ms client {result.client_cpu_ms:.3f} ms  "
              f"others {result.other_cpu_pct:.0f}%" + ("  (profiled)" if profiled else ""), flush=True)
        for sample in result.error_samples:
            print(f"    error: {sample}", flush=True)

    def phase(self, name: str, request, **kw) -> Phase:
        kw.setdefault("budget", self.s.budget)
        kw.setdefault("seconds", self.s.seconds)
        kw.setdefault("connections", self.s.connections)
        return Phase(name, request, **kw)

    def _start_profiler(self, server: Server, key: str):
        if shutil.which("py-spy") is None:
            print("  (py-spy not found: pip install py-spy to profile)", flush=True)
            return None
        out = self.workdir / f"profile-{key}.txt"
        self.profiles[key] = out
        proc = subprocess.Popen(["py-spy", "record", "--gil", "--rate", "250", "--format", "raw",
                                 "--output", str(out), "--pid", str(server.worker_pids()[0])],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)   # let py-spy attach before the load starts
        return proc

    @staticmethod
    def _stop_profiler(proc) -> None:
        proc.send_signal(signal.SIGINT)   # py-spy writes its output on SIGINT
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()

    # seeding
    def bulk_limit(self, server: Server, token: str | None = None) -> int:
        """Bulk maxOperations from /ServiceProviderConfig, 0 when Bulk is not supported."""
        found = []
        phase = Phase("discovery", lambda i: ("GET", f"{BASE}/ServiceProviderConfig", None), budget=1,
                      connections=1, on_success=lambda i, body: found.append(orjson.loads(body)))
        run_phase(server, token or self.token, phase)
        bulk = found[0].get("bulk", {}) if found else {}
        return min(100, int(bulk.get("maxOperations") or 0)) if bulk.get("supported") else 0

    def seed_users(self, server: Server, prefix: str, first: int, count: int, ids: list,
                   token: str | None = None) -> None:
        """Create users ``first .. first+count-1`` and put their ids at the same index of ``ids``."""
        token = token or self.token
        ids.extend([None] * (first + count - len(ids)))
        per_bulk = self.bulk_limit(server, token)
        t0 = time.perf_counter()
        if per_bulk:
            def request(i):
                start = first + i * per_bulk
                return "POST", f"{BASE}/Bulk", bulk_body(prefix, start, min(per_bulk, first + count - start))

            def keep(_i, body):
                for op in orjson.loads(body)["Operations"]:
                    ids[int(op["bulkId"][len(prefix):])] = op["location"].rsplit("/", 1)[1]

            phase = Phase(f"seed {count} users (Bulk)", request, budget=-(-count // per_bulk),
                          seconds=self.s.seed_seconds, connections=self.s.connections,
                          check=bulk_check, on_success=keep, ops_per_request=per_bulk)
        else:
            def keep(i, body):
                ids[first + i] = orjson.loads(body)["id"]

            phase = Phase(f"seed {count} users (POST)", lambda i: ("POST", f"{BASE}/Users",
                                                                   orjson.dumps(user_body(prefix, first + i))),
                          expect=201, budget=count, seconds=self.s.seed_seconds,
                          connections=self.s.connections, on_success=keep)
        result = run_phase(server, token, phase)
        self.seeding.append(result)
        missing = sum(1 for i in ids[first:first + count] if i is None)
        print(f"  {phase.name}: {time.perf_counter() - t0:.1f} s, {result.ops_per_s:.0f} users/s, "
              f"errors {result.errors}", flush=True)
        if missing:
            raise RuntimeError(f"seeding left {missing} users uncreated; first errors: {result.error_samples}")

    def create_groups(self, server: Server, names: list[str], token: str | None = None) -> list[str]:
        gids: list = [None] * len(names)

        def keep(i, body):
            gids[i] = orjson.loads(body)["id"]

        phase = Phase("seed groups", lambda i: ("POST", f"{BASE}/Groups", orjson.dumps(
            {"schemas": [GROUP_URN], "displayName": names[i]})), expect=201, budget=len(names),
            seconds=self.s.seed_seconds, connections=self.s.connections, on_success=keep)
        result = run_phase(server, token or self.token, phase)
        self.seeding.append(result)
        if None in gids:
            raise RuntimeError(f"could not create groups: {result.error_samples}")
        return gids

    def fill_groups(self, server: Server, plan: list[tuple[str, list[str]]], label: str,
                    token: str | None = None) -> Result:
        """PATCH-add members, ``MEMBERS_PER_BUILD_REQUEST`` per request: (group id, member ids) pairs."""
        requests = [(gid, members[k:k + MEMBERS_PER_BUILD_REQUEST]) for gid, members in plan
                    for k in range(0, len(members), MEMBERS_PER_BUILD_REQUEST)]
        phase = Phase(label, lambda i: ("PATCH", f"{BASE}/Groups/{requests[i][0]}", members_add(requests[i][1])),
                      expect=204, budget=len(requests), seconds=self.s.seed_seconds,
                      connections=self.s.connections)
        result = run_phase(server, token or self.token, phase)
        self.seeding.append(result)
        print(f"  {label}: {result.requests} PATCH of up to {MEMBERS_PER_BUILD_REQUEST} members in "
              f"{result.elapsed:.1f} s (p50 {result.p50_ms:.1f} ms), errors {result.errors}", flush=True)
        if result.errors:
            raise RuntimeError(f"could not fill groups: {result.error_samples}")
        return result


# --- the phases ------------------------------------------------------------------------------
def ceiling_phase(bench: Bench) -> Phase:
    from ceiling_app import USER_ID
    return bench.phase("ceiling", lambda i: ("GET", f"{BASE}/Users/{USER_ID}", None))


def bulk_check(_i: int, body: bytes) -> str | None:
    bad = [str(op.get("status")) for op in orjson.loads(body).get("Operations", []) if str(op.get("status")) != "201"]
    return f"bulk operations failed with {Counter(bad)}" if bad else None


def run_main(bench: Bench) -> None:
    s = bench.s
    print(f"service: {s.users} users, {s.groups} groups, a {s.members}-member group; "
          "each phase measured alternately with the ceiling", flush=True)
    server = bench.start_service("service")
    ids: list = []
    bench.seed_users(server, "user", 0, s.users, ids)
    gids = bench.create_groups(server, [f"Team {g:03d}" for g in range(s.groups)] + ["Member-add target"])
    target_group = gids[-1]
    plan = [(gids[g], ids[g::s.groups]) for g in range(s.groups)] + [(target_group, ids[:s.members])]
    bench.fill_groups(server, plan, "fill groups")
    ledger = Ledger()
    bench.ledgers.append(ledger)
    for gid, members in plan:
        ledger.expect_members(gid, members)
    n = s.users
    run = bench.selected.__contains__

    def one(key, phase):
        bench.with_ceiling(key, [(key, server, phase, None)])

    if run("get_id"):
        one("get_id", bench.phase("get_id", lambda i: ("GET", f"{BASE}/Users/{ids[spread(i, n)]}", None)))
    if run("filter_username"):
        one("filter_username", bench.phase("filter_username", lambda i: (
            "GET", filter_path(f'userName eq "{user_name("user", spread(i, n))}"'), None), check=one_result))
    if run("page_100"):
        one("page_100", bench.phase("page_100", lambda i: (
            "GET", f"{BASE}/Users?startIndex={spread(i, n - 100) + 1}&count=100", None),
            check=full_page))
    if run("patch_active"):
        # Each request deactivates another user (a second pass over the users would reactivate them).
        one("patch_active", bench.phase("patch_active", lambda i: (
            "PATCH", f"{BASE}/Users/{ids[spread(i, n)]}",
            patch_body({"op": "replace", "path": "active", "value": (i // n) % 2 == 1})),
            on_success=ledger.on_active(lambda i: ids[spread(i, n)], lambda i: (i // n) % 2 == 1)))
    if run("member_add"):
        # Each request adds one user not yet in the group.
        one("member_add", bench.phase("member_add", lambda i: (
            "PATCH", f"{BASE}/Groups/{target_group}", members_add([ids[s.members + i]])),
            expect=204, budget=min(s.budget, n - s.members),
            on_success=ledger.on_member_add(target_group, lambda i: ids[s.members + i])))
    # Writes that grow the data set come last, so the reads above see exactly N users.
    if run("post_user") or run("bulk"):
        parts = [("post_user", server, bench.phase("post_user", lambda i: (
            "POST", f"{BASE}/Users", orjson.dumps(user_body("post", i))), expect=201,
            on_success=ledger.on_create), None)]
        per_bulk = bench.bulk_limit(server) if run("bulk") else 0
        if run("bulk") and not per_bulk:
            print("  bulk: not measured, the server does not support Bulk (ServiceProviderConfig)", flush=True)
        if per_bulk:
            bench.figures["bulk_size"] = per_bulk
            # Measured alternately with single creates: its target is a multiple of theirs.
            parts.append(("bulk", server, bench.phase("bulk", lambda i: (
                "POST", f"{BASE}/Bulk", bulk_body("bulk", i * per_bulk, per_bulk)),
                budget=max(2, s.budget // per_bulk), ops_per_request=per_bulk, check=bulk_check,
                on_success=ledger.on_create), None))
        bench.with_ceiling("post_user", parts)
    ledger.audit_users(server, bench.token, seeded=n)
    ledger.audit_members(server, bench.token)
    ledger.audit_active(server, bench.token, s.connections)
    server.stop()


def lookup_phase(bench: Bench, kind: str, n: int, ids: list) -> Phase:
    def request(i):
        k = spread(i, n)
        if kind == "id":
            return "GET", f"{BASE}/Users/{ids[k]}", None
        if kind == "userName":
            return "GET", filter_path(f'userName eq "{user_name("user", k)}"'), None
        if kind == "externalId":
            return "GET", filter_path(f'externalId eq "{external_id("user", k)}"'), None
        if kind == "emails":
            return "GET", filter_path(f'emails[type eq "work"].value eq "{email("user", k)}"'), None
        return "GET", f"{BASE}/Users?startIndex={spread(i, n - 100) + 1}&count=100", None
    check = {"id": None, "page": full_page}.get(kind, one_result)
    return bench.phase(f"lookup {kind}", request, check=check)


def run_scale(bench: Bench) -> None:
    s = bench.s
    run = bench.selected.__contains__
    small_token, large_token = bench.tokens["small"], bench.tokens["large"]
    print(f"scale: workspaces of {s.scale_small} and {s.scale_large} users, memory, "
          f"member adds at {s.small_group} and {s.scale_large} members", flush=True)
    server = bench.start_service("scale")
    # Warm the worker up (imports, first-request set-up) before the empty-server memory reading.
    run_phase(server, large_token, Phase("warm-up", lambda i: ("GET", f"{BASE}/Users?count=1", None),
                                         budget=200, connections=2))
    rss_empty = server.worker_rss_mb()
    small_ids: list = []
    large_ids: list = []
    if run("lookups"):
        bench.seed_users(server, "user", 0, s.scale_small, small_ids, small_token)
    bench.seed_users(server, "user", 0, s.scale_large, large_ids, large_token)
    rss_loaded = server.worker_rss_mb()
    loaded = len(small_ids) + len(large_ids)
    bench.figures.update(rss_empty_mb=rss_empty, rss_loaded_mb=rss_loaded, rss_users=loaded)
    print(f"  worker RSS {rss_empty:.1f} MB empty, {rss_loaded:.1f} MB with {loaded} users", flush=True)
    if run("lookups"):
        for kind in LOOKUPS + SCALE_INFO:
            bench.measure([
                (f"lookup_{kind}_small", server, lookup_phase(bench, kind, s.scale_small, small_ids), small_token),
                (f"lookup_{kind}_large", server, lookup_phase(bench, kind, s.scale_large, large_ids), large_token)])
    if run("members_scale"):
        adds = min(s.budget, s.scale_large)
        bench.seed_users(server, "user", len(large_ids), adds, large_ids, large_token)
        small, big = bench.create_groups(server, ["Small team", "Everyone"], large_token)
        build = bench.fill_groups(server, [(small, large_ids[:s.small_group]), (big, large_ids[:s.scale_large])],
                                  f"build {s.small_group}- and {s.scale_large}-member groups", large_token)
        bench.figures["build_p50_ms"] = build.p50_ms
        ledger = Ledger()
        bench.ledgers.append(ledger)
        ledger.expect_members(small, large_ids[:s.small_group])
        ledger.expect_members(big, large_ids[:s.scale_large])

        def add_phase(gid):   # the i-th request adds the i-th user beyond the first scale_large
            return bench.phase("member add", lambda i: (
                "PATCH", f"{BASE}/Groups/{gid}", members_add([large_ids[s.scale_large + i]])),
                expect=204, budget=adds, on_success=ledger.on_member_add(gid, lambda i: large_ids[s.scale_large + i]))
        bench.with_ceiling("member_add_large", [("member_add_small", server, add_phase(small), large_token),
                                                ("member_add_large", server, add_phase(big), large_token)])
        ledger.audit_members(server, large_token)
    server.stop()


# --- the report ------------------------------------------------------------------------------
def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("PASS" if ok else "MISS")


def overall_ceiling(bench: Bench) -> Result | None:
    parts = [r for key, r in bench.results.items() if key.startswith("ceiling")]
    if not parts:
        return None
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def report(bench: Bench) -> list[dict]:
    s, r = bench.s, bench.results
    ceiling = overall_ceiling(bench)
    rows: list[dict] = []

    def local_ceiling(key) -> Result:
        return r.get(f"ceiling@{key}") or ceiling

    def ratio(key) -> float:
        return r[key].rps / local_ceiling(key).rps

    def cpu_ratio(key) -> float:
        return local_ceiling(key).server_cpu_ms / r[key].server_cpu_ms

    def row(key, label, target="", ok=None, cpu_ok=None, result=None):
        res = result or r[key]
        rows.append({"phase": label, "req_s": res.rps, "ratio": ratio(key) if key else 1.0,
                     "cpu_ratio": cpu_ratio(key) if key else 1.0, "p50": res.p50_ms, "p99": res.p99_ms,
                     "errors": res.errors, "cpu": res.server_cpu_ms, "client_cpu": res.client_cpu_ms,
                     "others": res.other_cpu_pct, "target": target, "verdict": verdict(ok),
                     "cpu_verdict": verdict(cpu_ok)})

    if ceiling is not None:
        spread_text = ""
        ceilings = [x.rps for k, x in r.items() if k.startswith("ceiling")]
        if len(ceilings) > 1:
            spread_text = f"its runs: {min(ceilings):.0f} to {max(ceilings):.0f} req/s"
        row(None, "ceiling GET /Users/{id}", spread_text, result=ceiling)
    simple = [("post_user", "POST /Users", 0.45), ("get_id", "GET /Users/{id}", 0.70),
              ("filter_username", "GET ?filter=userName eq", 0.60), ("page_100", "GET 100-user page", 0.05),
              ("patch_active", "PATCH active false", 0.55)]
    for key, label, floor in simple:
        if key in r:
            row(key, label, f">= {floor:.2f} x ceiling", ratio(key) >= floor, cpu_ratio(key) >= floor)
    if "member_add" in r:
        row("member_add", f"PATCH add 1 member ({s.members}+)")
    if "bulk" in r:
        size = int(bench.figures["bulk_size"])
        times = r["bulk"].ops_per_s / r["post_user"].rps
        cpu_times = r["post_user"].server_cpu_ms / (r["bulk"].server_cpu_ms / size)
        row("bulk", f"POST /Bulk ({size} creates)",
            f"{r['bulk'].ops_per_s:.0f} users/s = {times:.1f}x single (>= 3x)", times >= 3, cpu_times >= 3)
    for kind in LOOKUPS + SCALE_INFO:
        for size_key, n in (("small", s.scale_small), ("large", s.scale_large)):
            key = f"lookup_{kind}_{size_key}"
            if key in r:
                row(key, f"lookup {kind} @ {n // 1000}k users")
    if "member_add_small" in r:
        row("member_add_small", f"member add, {s.small_group}-member group")
    if "member_add_large" in r:
        cost = r["member_add_large"].server_cpu_ms / r["member_add_small"].server_cpu_ms
        row("member_add_large", f"member add, {s.scale_large // 1000}k-member group",
            f">= 0.50 x ceiling; CPU {cost:.2f}x the {s.small_group}-member add (<= 1.2x)",
            ratio("member_add_large") >= 0.50 and cost <= 1.2, cpu_ratio("member_add_large") >= 0.50 and cost <= 1.2)

    head = (f"{'phase':<32} {'req/s':>7} {'x ceil':>6} {'(CPU)':>6} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
            f"{'srv CPU':>7} {'cli CPU':>7} {'others':>6}  target")
    print("\n" + head + "\n" + "-" * len(head))
    for x in rows:
        note = x["verdict"]
        if x["cpu_verdict"] and x["cpu_verdict"] != x["verdict"]:
            note += f" (by CPU: {x['cpu_verdict']})"
        print(f"{x['phase']:<32} {x['req_s']:>7.1f} {x['ratio']:>6.2f} {x['cpu_ratio']:>6.2f} {x['p50']:>7.2f} "
              f"{x['p99']:>7.2f} {x['errors']:>6} {x['cpu']:>7.3f} {x['client_cpu']:>7.3f} {x['others']:>5.0f}%  "
              f"{x['target']} {note}".rstrip())
    print("x ceil: req/s over the ceiling's, measured alternately with the phase (else the mean of all its runs);\n"
          "(CPU): the same ratio from server CPU per request (ceiling's / phase's), steadier on a busy machine;\n"
          "srv CPU / cli CPU: ms of server / client CPU per request; others: CPU the machine's other processes\n"
          "took during the phase, in % of all CPUs. PASS/MISS go by req/s; '(by CPU: ...)' when CPU disagrees.")

    checks = []
    scale_rows = []
    for kind in LOOKUPS + SCALE_INFO:
        small, large = r.get(f"lookup_{kind}_small"), r.get(f"lookup_{kind}_large")
        if small and large:
            q = large.p50_ms / small.p50_ms
            scale_rows.append((kind, small, large, q))
            if kind in LOOKUPS:
                checks.append((f"lookup {kind}: p50 {s.scale_large // 1000}k / {s.scale_small // 1000}k = "
                               f"{q:.2f} (<= 1.2)", q <= 1.2))
    if scale_rows:
        lo, hi = f"{s.scale_small // 1000}k", f"{s.scale_large // 1000}k"
        print(f"\n{'lookup':<12} {'p50 @' + lo:>10} {'p50 @' + hi:>10} {'ratio':>6} "
              f"{'CPU @' + lo:>10} {'CPU @' + hi:>10} {'ratio':>6}  target (p50 ratio)")
        for kind, a, b, q in scale_rows:
            print(f"{kind:<12} {a.p50_ms:>10.2f} {b.p50_ms:>10.2f} {q:>6.2f} {a.server_cpu_ms:>10.3f} "
                  f"{b.server_cpu_ms:>10.3f} {b.server_cpu_ms / a.server_cpu_ms:>6.2f}  "
                  + (f"<= 1.2 {verdict(q <= 1.2)}" if kind in LOOKUPS else "(no target)"))
        print("(p50 in ms; CPU: ms of server CPU per request; the two sizes measured alternately, two rounds each)")
    if "rss_loaded_mb" in bench.figures:
        f = bench.figures
        per = (f["rss_loaded_mb"] - f["rss_empty_mb"]) * 100_000 / f["rss_users"]
        bench.figures["mb_per_100k_users"] = per
        print(f"\nmemory: worker RSS {f['rss_empty_mb']:.1f} MB empty -> {f['rss_loaded_mb']:.1f} MB with "
              f"{int(f['rss_users'])} typical users = {per:.1f} MB per 100,000 users")
    if "build_p50_ms" in bench.figures:
        print(f"group build: p50 {bench.figures['build_p50_ms']:.1f} ms per PATCH of "
              f"{MEMBERS_PER_BUILD_REQUEST} members")
    errors = sum(x.errors for x in r.values()) + sum(x.errors for x in bench.seeding)
    checks.append((f"errors: {errors} in all phases and seeding (zero)", errors == 0))
    if bench.ledgers:
        lost = sum(ledger.lost for ledger in bench.ledgers)
        checked = Counter()
        for ledger in bench.ledgers:
            checked.update(ledger.checked)
        what = ", ".join(f"{v} {k}" for k, v in checked.items())
        checks.append((f"lost updates: {lost} (audited after the run: {what})", lost == 0))
        for ledger in bench.ledgers:
            for text in ledger.problems:
                print(f"  lost: {text}")
    print()
    for text, ok in checks:
        print(f"{verdict(ok)}  {text}")
    return rows


def summarize_profile(path: Path, top: int = 15) -> None:
    """Top functions by own and by inclusive samples, from py-spy's collapsed stacks (sampled
    with --gil: only the thread holding the GIL, so the figures are shares of the worker's CPU)."""
    own, inclusive, total = Counter(), Counter(), 0
    try:
        lines = path.read_text().splitlines()
    except OSError:
        print(f"  no profile at {path}")
        return
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    if not total:
        print(f"  empty profile at {path}")
        return
    print(f"\nprofile {path.name}: {total} samples")
    print("  own time:")
    for name, n in own.most_common(top):
        print(f"    {100 * n / total:5.1f}%  {name}")
    print("  inclusive (below the thread pool):")
    shown = [(name, n) for name, n in inclusive.most_common() if not name.endswith(_PLUMBING)]
    for name, n in shown[:top]:
        print(f"    {100 * n / total:5.1f}%  {name}")


# Frames every sample shares (threads, gunicorn's arbiter, the CLI): they say nothing.
_PLUMBING = ("(<frozen runpy>)", "(threading.py)", "(futures/thread.py)", "(gunicorn/arbiter.py)",
             "(app/base.py)", "(app/wsgiapp.py)", "(workers/base.py)", "(scim_service/cli.py)")


def _frame(text: str) -> str:
    """``func (path/to/file.py:12)`` -> ``func (to/file.py)``: one name per function."""
    func, _, where = text.partition(" (")
    file = where.rstrip(")").rsplit(":", 1)[0]
    parts = file.split("/")
    return f"{func} ({'/'.join(parts[-2:])})"


# --- main --------------------------------------------------------------------------------------
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller data and shorter phases")
    parser.add_argument("--only", help=f"comma-separated phases: {', '.join(MAIN_PHASES + SCALE_PHASES)} "
                                       "(the ceiling is always measured; bulk brings post_user)")
    parser.add_argument("--users", type=int, help="N, users of the main server")
    parser.add_argument("--scale-users", type=int, help="users of the large scale measurement")
    parser.add_argument("--seconds", type=float, help="longest a phase runs")
    parser.add_argument("--budget", type=int, help="most requests a phase sends")
    parser.add_argument("--threads", type=int, help="server threads (default 4)")
    parser.add_argument("--connections", type=int, help="client keep-alive connections (default 8)")
    parser.add_argument("--profile", default="", help="comma-separated phases to record with py-spy "
                                                      "(their figures are perturbed)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)

    settings = QUICK if args.quick else FULL
    overrides = {k: v for k, v in (("users", args.users), ("scale_large", args.scale_users),
                                   ("seconds", args.seconds), ("budget", args.budget), ("threads", args.threads),
                                   ("connections", args.connections)) if v is not None}
    settings = replace(settings, **overrides)
    known = set(MAIN_PHASES + SCALE_PHASES)
    selected = set(filter(None, (args.only or "").split(","))) or known
    profile = set(filter(None, args.profile.split(",")))
    if selected - known:
        parser.error(f"unknown phase(s) {', '.join(sorted(selected - known))}; choose from {', '.join(sorted(known))}")
    if settings.scale_small >= settings.scale_large:
        parser.error("--scale-users must be above the small scale size")

    workdir = Path(tempfile.mkdtemp(prefix="scim-bench-"))
    bench = Bench(settings, selected, profile, workdir)
    started = time.perf_counter()
    print(f"scim-service benchmark ({'quick' if args.quick else 'full'}): {settings.connections} keep-alive "
          f"connections, server gthread 1 worker x {settings.threads} threads, phases <= {settings.budget} "
          f"requests or {settings.seconds:.0f} s; {os.cpu_count()} CPUs shared by client and server; "
          f"logs in {workdir}", flush=True)
    try:
        bench.ceiling = bench.start_ceiling()
        if selected & set(MAIN_PHASES):
            run_main(bench)
        if selected & set(SCALE_PHASES):
            if not any(k.startswith("ceiling") for k in bench.results):
                bench.measure([("ceiling", bench.ceiling, ceiling_phase(bench), None)])
            run_scale(bench)
    except (RuntimeError, KeyboardInterrupt) as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 1
    finally:
        bench.stop_all()
    rows = report(bench)
    for key, path in bench.profiles.items():
        summarize_profile(path)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(orjson.dumps({
            "settings": settings.__dict__, "table": rows,
            "results": {k: v.as_dict() for k, v in bench.results.items()},
            "seeding": [x.as_dict() for x in bench.seeding], "figures": bench.figures,
        }, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
