"""Every write the server acknowledged during a run, and the audit that none of them was lost.

Phases record what each successful response acknowledged (a user created, a
member added, ``active`` set to a value by request number i); after the run the
audit reads the server's state back and compares: user totals, each group's
exact membership, and for every user a PATCH touched, its final ``active`` and
its ``meta.version`` (one more per acknowledged change, so an overwritten write
shows even when the final value happens to be right).
"""
from __future__ import annotations

import threading
from collections import defaultdict

import orjson

from loadgen import Phase, Server, run_phase

BASE = "/scim/v2"


class Ledger:
    def __init__(self):
        self._lock = threading.Lock()
        self.created: list[str] = []
        self.members: dict[str, set[str]] = defaultdict(set)              # group id -> members it must have
        self.active: dict[str, list[tuple[int, bool]]] = defaultdict(list)  # user id -> (request, value)
        self.lost = 0
        self.problems: list[str] = []                                   # the first few, described
        self.checked: dict[str, int] = defaultdict(int)                 # what the audit read back

    # --- what phases record ----------------------------------------------------------------
    def expect_members(self, gid: str, member_ids) -> None:
        with self._lock:
            self.members[gid].update(member_ids)

    def on_member_add(self, gid: str, member_of_request):
        return lambda i, _body: self.expect_members(gid, [member_of_request(i)])

    def on_active(self, user_of_request, value_of_request):
        def keep(i, _body):
            with self._lock:
                self.active[user_of_request(i)].append((i, value_of_request(i)))
        return keep

    def on_create(self, _i, body: bytes) -> None:
        data = orjson.loads(body)
        ids = [op["location"].rsplit("/", 1)[1] for op in data["Operations"]] if "Operations" in data else [data["id"]]
        with self._lock:
            self.created.extend(ids)

    # --- the audit -----------------------------------------------------------------------------
    def problem(self, text: str) -> None:
        with self._lock:
            if len(self.problems) < 20:
                self.problems.append(text)
            self.lost += 1

    def audit_users(self, server: Server, token: str, seeded: int) -> None:
        found = []
        run_phase(server, token, Phase("audit users", lambda i: ("GET", f"{BASE}/Users?count=0", None),
                                       budget=1, connections=1,
                                       on_success=lambda i, body: found.append(orjson.loads(body))))
        expected = seeded + len(self.created)
        total = found[0]["totalResults"] if found else None
        self.checked["user totals"] += 1
        if total != expected:
            self.problem(f"users: {total} on the server, {expected} expected ({seeded} seeded + "
                         f"{len(self.created)} acknowledged creates)")

    def audit_members(self, server: Server, token: str) -> None:
        for gid, expected in self.members.items():
            found = []
            run_phase(server, token, Phase("audit members", lambda i: (
                "GET", f"{BASE}/Groups/{gid}?attributes=members", None), budget=1, connections=1,
                on_success=lambda i, body: found.append(orjson.loads(body))))
            actual = {m["value"] for m in found[0].get("members", [])} if found else set()
            self.checked["members"] += len(expected)
            if actual != expected:
                self.problem(f"group {gid}: {len(expected - actual)} acknowledged members missing, "
                             f"{len(actual - expected)} unexpected")

    def audit_active(self, server: Server, token: str, connections: int) -> None:
        """Users start active (version 1); each acknowledged PATCH that changed the value is one version."""
        expected = {}
        for uid, writes in self.active.items():
            active, version = True, 1
            for _i, value in sorted(writes):
                if value != active:
                    active, version = value, version + 1
            expected[uid] = (active, version)
        uids = list(expected)

        def check(i, body: bytes):
            user = orjson.loads(body)
            got = (user.get("active"), int(user["meta"]["version"].split('"')[1]))
            if got != expected[uids[i]]:
                self.problem(f"user {uids[i]}: (active, version) {got}, expected {expected[uids[i]]}")
            return None

        result = run_phase(server, token, Phase("audit active", lambda i: ("GET", f"{BASE}/Users/{uids[i]}", None),
                                                budget=len(uids), seconds=600, connections=connections,
                                                check=check))
        self.checked["users' active and version"] += result.requests - result.errors
        if result.errors:
            self.problem(f"audit reads failed: {result.error_samples[:2]}")
