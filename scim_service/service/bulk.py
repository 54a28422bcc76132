"""Bulk (RFC 7644 §3.7): many operations in one request, each through the single-resource code path.

Every operation calls ``crud.create`` / ``replace`` / ``patch`` / ``delete``,
exactly as ``POST /Users`` or ``PATCH /Groups/{id}`` do, so validation,
uniqueness, PATCH dialects, ETags (``version`` is the operation's If-Match)
and activity records are the same. Each operation is atomic on its own; one
failing does not undo or stop the others, until ``failOnErrors`` errors.

Decisions where the RFC leaves room:

* ``path`` is relative to the SCIM base (``/Users``, ``/Groups/{id}``). A full
  URL on this service provider's host, or an absolute path under the base
  (``/scim/v2/Users``), is tolerated, since clients often echo a ``location``.
  Anything else fails that operation with 400 ``invalidPath``.
* ``bulkId:<id>`` is resolved in ``path`` and in any string of ``data`` that is
  exactly ``bulkId:<id>`` (member values, a manager, PATCH values), or that
  quotes one (a value filter such as ``members[value eq "bulkId:q"]``).
* Operations run in dependency order; operations that do not depend on one
  another keep the request's order. The response lists the operations that
  were processed, in request order.
* A reference nobody defines fails with 400 ``invalidValue``; a reference to a
  failed operation fails with 409, and so on down the chain. Circular
  references are not untangled: every operation in a cycle fails with 409 and
  a detail naming the cycle (§3.7.1 allows 409 instead of resolving).
* A POST without ``bulkId`` is tolerated although the RFC requires one: it
  cannot be referenced, and the response in request order still lets the
  client pair it with its result (the UnboundID SDK sends such POSTs).
* A successful PATCH reports 200 with ``version`` (the §3.7.3 example), where a
  single ``PATCH /Groups/{id}`` answers 204 without a body.
"""
from __future__ import annotations

import heapq
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import orjson

from scim_service.errors import Conflict, InternalError, InvalidPath, InvalidValue, ScimError
from scim_service.representation import location
from scim_service.schema import GROUP_TYPE, USER_TYPE, ResourceType
from scim_service.service import crud
from scim_service.service.context import Context

log = logging.getLogger("scim_service.bulk")

BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
METHODS = ("POST", "PUT", "PATCH", "DELETE")
REFERENCE_PREFIX = "bulkId:"
_QUOTED_REFERENCE = re.compile(r'"bulkId:([^"]*)"')
_ENDPOINTS = {"Users": USER_TYPE, "Groups": GROUP_TYPE}
_SUCCESS_STATUS = {"POST": "201", "PUT": "200", "PATCH": "200", "DELETE": "204"}


@dataclass(frozen=True)
class BulkOperation:
    index: int
    method: str
    path: str
    bulk_id: str | None = None
    version: str | None = None
    data: dict | None = None

    @property
    def name(self) -> str:
        return f"Operations[{self.index}]" + (f" (bulkId {self.bulk_id})" if self.bulk_id else "")


@dataclass(frozen=True)
class BulkRequest:
    operations: list[BulkOperation]
    fail_on_errors: int | None = None


@dataclass(frozen=True)
class Target:
    rtype: ResourceType
    rid: str | None        # None for a POST to the collection; may still be "bulkId:<id>"


@dataclass
class Plan:
    """What an operation needs before it can run: its target and the operations it references."""

    operation: BulkOperation
    target: Target | None = None
    error: ScimError | None = None            # known before anything runs (bad path, unknown bulkId)
    depends_on: dict[int, str] = field(default_factory=dict)   # operation index -> bulkId


# --- paths ------------------------------------------------------------------------------------
def parse_target(ctx: Context, op: BulkOperation) -> Target:
    path = op.path.strip()
    base = urlsplit(ctx.base_url)
    if path.lower().startswith(("http://", "https://")):
        url = urlsplit(path)
        if url.netloc.lower() != base.netloc.lower():
            raise InvalidPath(f"{op.name}: path {op.path!r} is a URL of another server; use a path relative "
                              f"to this service provider's base {ctx.base_url}, such as /Users")
        path = url.path
    base_path = base.path.rstrip("/")
    if base_path and (path == base_path or path.startswith(base_path + "/")):
        path = path[len(base_path):]
    segments = path.strip("/").split("/")
    rtype = _ENDPOINTS.get(segments[0])
    if rtype is None or len(segments) > 2:
        raise InvalidPath(f"{op.name}: path {op.path!r} names no resource; Bulk operations act on "
                          "/Users, /Groups, /Users/{id} or /Groups/{id}")
    if op.method == "POST":
        if len(segments) != 1:
            raise InvalidPath(f"{op.name}: a POST creates a resource, so its path must be the endpoint "
                              f"{rtype.endpoint}, not {op.path!r}")
        return Target(rtype, None)
    if len(segments) != 2 or not segments[1]:
        raise InvalidPath(f"{op.name}: a {op.method} acts on one resource, so its path must be "
                          f"{rtype.endpoint}/{{id}}, not {op.path!r}")
    return Target(rtype, unquote(segments[1]))


# --- bulkId references ------------------------------------------------------------------------
def references(value) -> list[str]:
    """The bulkIds a value refers to, in order of appearance."""
    if not isinstance(value, str) and not _may_refer(value):
        return []
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if item.startswith(REFERENCE_PREFIX):
                found.append(item[len(REFERENCE_PREFIX):])
            elif '"bulkId:' in item:
                found.extend(_QUOTED_REFERENCE.findall(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def _may_refer(value) -> bool:
    """Most data refers to nothing: one look at its JSON at C speed instead of a walk in Python."""
    try:
        return REFERENCE_PREFIX.encode() in orjson.dumps(value)
    except orjson.JSONEncodeError:   # nested deeper than orjson writes: walk it
        return True


def substitute(value, ids: dict[str, str]):
    """``value`` with every ``bulkId:<id>`` replaced by the id of the resource it created."""
    if isinstance(value, str):
        if value.startswith(REFERENCE_PREFIX):
            return ids[value[len(REFERENCE_PREFIX):]]
        if '"bulkId:' in value:
            return _QUOTED_REFERENCE.sub(lambda m: f'"{ids[m.group(1)]}"', value)
        return value
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


def check_unique_bulk_ids(operations: list[BulkOperation]) -> None:
    counts = Counter(op.bulk_id for op in operations if op.bulk_id is not None)
    repeated = [bid for bid, n in counts.items() if n > 1]
    if repeated:
        where = "; ".join(
            f"bulkId {bid!r} in " + ", ".join(f"Operations[{op.index}]" for op in operations if op.bulk_id == bid)
            for bid in repeated)
        raise InvalidValue(f"a bulkId must be unique within a BulkRequest: {where}")


def plan(ctx: Context, operations: list[BulkOperation]) -> list[Plan]:
    creators = {op.bulk_id: op.index for op in operations if op.method == "POST" and op.bulk_id is not None}
    plans = []
    for op in operations:
        p = Plan(op)
        plans.append(p)
        try:
            p.target = parse_target(ctx, op)
        except ScimError as exc:
            p.error = exc
            continue
        refs = references(p.target.rid) if p.target.rid else []
        refs += references(op.data) if op.data is not None else []
        unknown = [r for r in dict.fromkeys(refs) if r not in creators]
        if unknown:
            p.error = InvalidValue(
                f"{op.name} references {', '.join('bulkId:' + r for r in unknown)}, but no POST operation "
                "of this BulkRequest has that bulkId")
            continue
        p.depends_on = {creators[r]: r for r in refs}
    return plans


# --- ordering ---------------------------------------------------------------------------------
def execution_order(plans: list[Plan]) -> tuple[list[int], dict[int, list[int]]]:
    """Indices in dependency order, lowest index first among ready ones; then, in request order,
    the operations that can never run, with the cycle each one belongs to (if it is in one)."""
    waiting = {p.operation.index: set(p.depends_on) for p in plans}
    dependents: dict[int, list[int]] = {i: [] for i in waiting}
    for i, deps in waiting.items():
        for d in deps:
            dependents[d].append(i)
    ready = [i for i, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in dependents[i]:
            waiting[j].discard(i)
            if not waiting[j]:
                heapq.heappush(ready, j)
    done = set(order)
    stuck = sorted(i for i in waiting if i not in done)
    return order + stuck, find_cycles({i: plans[i].depends_on for i in stuck})


def find_cycles(edges: dict[int, dict[int, str]]) -> dict[int, list[int]]:
    """For each operation on a cycle, one cycle through it, as a list of indices ending where it starts."""
    cycles: dict[int, list[int]] = {}
    for component in strongly_connected(edges):
        if len(component) == 1 and component[0] not in edges[component[0]]:
            continue
        members = set(component)
        for v in sorted(component):
            if v not in cycles:
                path = _cycle_through(v, edges, members)
                for k, node in enumerate(path[:-1]):   # each node of a cycle lies on its rotation
                    cycles.setdefault(node, path[k:-1] + path[:k] + [node])
    return cycles


def strongly_connected(edges: dict[int, dict[int, str]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative: a chain of thousands of operations must not hit the recursion limit."""
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    components: list[list[int]] = []

    def visit(v: int) -> None:
        index_of[v] = low[v] = len(index_of)
        stack.append(v)
        on_stack.add(v)
        work.append((v, iter(sorted(w for w in edges[v] if w in edges))))

    for root in sorted(edges):
        if root in index_of:
            continue
        work: list = []
        visit(root)
        while work:
            v, following = work[-1]
            for w in following:
                if w not in index_of:
                    visit(w)
                    break
                if w in on_stack:
                    low[v] = min(low[v], index_of[w])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
                if low[v] == index_of[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    components.append(component)
    return components


def _cycle_through(start: int, edges: dict[int, dict[int, str]], members: set[int]) -> list[int]:
    """The shortest path start → ... → start inside one strongly connected component."""
    parents: dict[int, int] = {}
    frontier = [start]
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(edges[v]):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return path[::-1] + [start]
                if w in members and w not in parents:
                    parents[w] = v
                    following.append(w)
        frontier = following
    raise AssertionError("every member of a strongly connected component lies on a cycle")


# --- running ----------------------------------------------------------------------------------
class _Run:
    def __init__(self, ctx: Context, plans: list[Plan], cycles: dict[int, list[int]]):
        self.ctx = ctx
        self.plans = plans
        self.cycles = cycles
        self.created: dict[str, str] = {}          # bulkId -> id of the resource its POST created
        self.failed: dict[int, str] = {}           # index -> status of a failed operation

    def run(self, index: int) -> dict:
        p = self.plans[index]
        op = p.operation
        try:
            if p.error is not None:
                raise p.error
            self._check_dependencies(p)
            return self._execute(p)
        except ScimError as exc:
            return self._failure(p, exc)
        except Exception:  # one operation's bug must not lose the results of the others
            log.exception("unexpected error in bulk %s", op.name)
            return self._failure(p, InternalError())

    def _check_dependencies(self, p: Plan) -> None:
        op = p.operation
        cycle = self.cycles.get(op.index)
        if cycle is not None:
            chain = " → ".join(self.plans[i].operation.name for i in cycle)
            raise Conflict(f"{op.name} is part of a circular bulkId reference: {chain} (each references the "
                           "bulkId of the next). Create the resources first and link them with a later PATCH.")
        for dep, bulk_id in sorted(p.depends_on.items()):
            dep_name = self.plans[dep].operation.name
            if dep in self.cycles:
                raise Conflict(f"{op.name} was not attempted: it references bulkId:{bulk_id}, and "
                               f"{dep_name} that creates it is part of a circular bulkId reference")
            if dep in self.failed:
                raise Conflict(f"{op.name} was not attempted: it references bulkId:{bulk_id}, and "
                               f"{dep_name} that creates it failed with status {self.failed[dep]}")
            if bulk_id not in self.created:
                raise Conflict(f"{op.name} was not attempted: it references bulkId:{bulk_id}, and "
                               f"{dep_name} that creates it waits on a circular bulkId reference")

    def _execute(self, p: Plan) -> dict:
        ctx, op, rtype = self.ctx, p.operation, p.target.rtype
        rid, data = p.target.rid, op.data
        if p.depends_on:   # only then can the path or data hold bulkId references
            rid = substitute(rid, self.created) if rid else None
            data = substitute(data, self.created) if data is not None else None
        saved = None   # Bulk answers carry no resource: none is rendered (projection None)
        if op.method == "POST":
            saved = crud.create(ctx, rtype, data, None)
            rid = saved.id
            if op.bulk_id is not None:
                self.created[op.bulk_id] = rid
        elif op.method == "PUT":
            saved = crud.replace(ctx, rtype, rid, data, if_match=op.version, projection=None)
        elif op.method == "PATCH":
            saved = crud.patch(ctx, rtype, rid, data, if_match=op.version, projection=None)
        else:
            crud.delete(ctx, rtype, rid, if_match=op.version)
        entry = self._entry(op)
        entry["location"] = location(ctx.base_url, rtype, rid)
        if saved is not None:
            entry["version"] = saved.etag
        entry["status"] = _SUCCESS_STATUS[op.method]
        return entry

    def _failure(self, p: Plan, exc: ScimError) -> dict:
        op = p.operation
        self.failed[op.index] = str(exc.status)
        entry = self._entry(op)
        if op.method != "POST" and p.target is not None and p.target.rid is not None:
            rid = p.target.rid
            if not rid.startswith(REFERENCE_PREFIX) or rid[len(REFERENCE_PREFIX):] in self.created:
                entry["location"] = location(self.ctx.base_url, p.target.rtype, substitute(rid, self.created))
        entry["status"] = str(exc.status)
        entry["response"] = exc.to_dict()
        return entry

    @staticmethod
    def _entry(op: BulkOperation) -> dict:
        entry = {"method": op.method}
        if op.bulk_id is not None:
            entry["bulkId"] = op.bulk_id
        return entry


def execute(ctx: Context, request: BulkRequest) -> dict:
    """Run a validated BulkRequest; the BulkResponse lists the processed operations in request order."""
    check_unique_bulk_ids(request.operations)
    plans = plan(ctx, request.operations)
    order, cycles = execution_order(plans)
    run = _Run(ctx, plans, cycles)
    results: dict[int, dict] = {}
    errors = 0
    for index in order:
        results[index] = entry = run.run(index)
        if "response" in entry:
            errors += 1
            if request.fail_on_errors is not None and errors >= request.fail_on_errors:
                break
    return {"schemas": [BULK_RESPONSE_URN], "Operations": [results[i] for i in sorted(results)]}
