"""The embedded default: everything in this process, behind one lock.

Indexes keep every IdP lookup O(1): id, case-folded userName and group
displayName (which also enforce uniqueness), externalId, case-folded
``emails.value``, and membership both ways. A filter, or an ``and`` branch of
it, that is an ``eq`` on one of those attributes reads the index; the rest of
the filter is evaluated on the candidates only.
"""
from __future__ import annotations

import itertools
import threading
from collections import defaultdict, deque
from typing import Iterable

from backends.base import Backend, Member, MembershipChange, Page, Query, SortKey
from scim_service.errors import NotFound, Uniqueness, VersionConflict
from scim_service.filters.ast import And, AttrPath, Compare, ValuePath
from scim_service.filters.evaluate import matches, values_at
from scim_service.resources import unique_attributes, unique_values
from scim_service.schema import GROUP_TYPE as _GROUP, ResourceType

ACTIVITY_KEPT_PER_WORKSPACE = 100_000


class _Table:
    """One resource type of one workspace."""

    def __init__(self):
        self.records: dict[str, dict] = {}          # id -> record, in creation order
        self.seq: dict[str, int] = {}               # id -> creation sequence (default order, cursors)
        self.order: list[str] | None = []           # ids in creation order; None after a delete, rebuilt
                                                    # by the next plain page (so startIndex seeks are O(1))
        self.unique: dict[str, dict[str, str]] = defaultdict(dict)   # attr -> folded value -> id
        self.external: dict[str, str | set[str]] = {}                # externalId -> id(s)
        self.emails: dict[str, str | set[str]] = {}                  # folded emails.value -> id(s)

    def index(self, record: dict, rtype: ResourceType) -> None:
        rid = record["id"]
        for attr, value in unique_values(record, rtype).items():
            self.unique[attr][value] = rid
        if record.get("externalId") is not None:
            _add(self.external, record["externalId"], rid)
        for email in _emails(record):
            _add(self.emails, email, rid)

    def unindex(self, record: dict, rtype: ResourceType) -> None:
        rid = record["id"]
        for attr, value in unique_values(record, rtype).items():
            if self.unique[attr].get(value) == rid:
                del self.unique[attr][value]
        ext = record.get("externalId")
        if ext is not None:
            _discard(self.external, ext, rid)
        for email in _emails(record):
            _discard(self.emails, email, rid)


def _emails(record: dict) -> set[str]:
    return {e["value"].casefold() for e in record.get("emails") or () if isinstance(e.get("value"), str)}


# Most values are held by one resource: an index entry is that id, and a set only when shared
# (a one-element set costs ~200 bytes; at three entries per user that is ~60 MB per 100,000 users).
def _add(index: dict[str, str | set[str]], key: str, rid: str) -> None:
    held = index.get(key)
    if held is None:
        index[key] = rid
    elif isinstance(held, str):
        if held != rid:
            index[key] = {held, rid}
    else:
        held.add(rid)


def _discard(index: dict[str, str | set[str]], key: str, rid: str) -> None:
    held = index.get(key)
    if isinstance(held, str):
        if held == rid:
            del index[key]
    elif held is not None:
        held.discard(rid)
        if len(held) == 1:
            index[key] = held.pop()


def _ids(index: dict[str, str | set[str]], key: str) -> set[str]:
    held = index.get(key)
    if held is None:
        return set()
    return {held} if isinstance(held, str) else set(held)


class _Workspace:
    def __init__(self):
        self.tables: dict[str, _Table] = defaultdict(_Table)
        self.members: dict[str, dict[str, Member]] = defaultdict(dict)   # group id -> member id -> Member
        self.groups_of: dict[str, set[str]] = defaultdict(set)           # member id -> group ids
        self.activity: deque = deque(maxlen=ACTIVITY_KEPT_PER_WORKSPACE)


class MemoryBackend(Backend):
    name = "memory"
    single_process = True

    def __init__(self, config=None):
        self._lock = threading.RLock()
        self._workspaces: dict[str, _Workspace] = defaultdict(_Workspace)
        self._tokens: dict[str, tuple[str, str]] = {}    # hash -> (workspace, token id)
        self._token_of: dict[str, str] = {}              # workspace -> current hash
        self._seq = itertools.count(1)

    # --- tokens -----------------------------------------------------------------
    def set_token(self, workspace, token_hash, token_id):
        with self._lock:
            old = self._token_of.get(workspace)
            if old is not None:
                self._tokens.pop(old, None)
            self._tokens[token_hash] = (workspace, token_id)
            self._token_of[workspace] = token_hash

    def find_token(self, token_hash):
        found = self._tokens.get(token_hash)
        return (found[0], found[1], token_hash) if found else None

    def has_tokens(self):
        return bool(self._tokens)

    # --- resources ----------------------------------------------------------------
    def _table(self, workspace: str, rtype: ResourceType) -> _Table:
        return self._workspaces[workspace].tables[rtype.name]

    def _check_unique(self, table: _Table, record: dict, rtype: ResourceType) -> None:
        for attr, value in unique_values(record, rtype).items():
            holder = table.unique[attr].get(value)
            if holder is not None and holder != record["id"]:
                raise Uniqueness(f"{attr} {record[attr]!r} is already used by another {rtype.name} in this workspace")

    def create(self, workspace, rtype, record, members=None):
        with self._lock:
            table = self._table(workspace, rtype)
            self._check_unique(table, record, rtype)
            table.records[record["id"]] = record
            table.seq[record["id"]] = next(self._seq)
            if table.order is not None:
                table.order.append(record["id"])
            table.index(record, rtype)
            if members:
                self._apply_members(workspace, record["id"], MembershipChange(add=list(members)))
            return record

    def get(self, workspace, rtype, rid):
        ws = self._workspaces.get(workspace)
        table = ws.tables.get(rtype.name) if ws else None
        return table.records.get(rid) if table else None

    def replace(self, workspace, rtype, record, expected_version, members=None):
        with self._lock:
            table = self._table(workspace, rtype)
            old = table.records.get(record["id"])
            if old is None:
                raise NotFound(f"{rtype.name} {record['id']} not found")
            if old["meta"]["version"] != expected_version:
                raise VersionConflict(record["id"])
            self._check_unique(table, record, rtype)
            table.unindex(old, rtype)
            table.records[record["id"]] = record
            table.index(record, rtype)
            if members is not None and not members.is_empty():
                self._apply_members(workspace, record["id"], members)
            return record

    def delete(self, workspace, rtype, rid, expected_version=None):
        with self._lock:
            ws = self._workspaces.get(workspace)
            table = ws.tables.get(rtype.name) if ws else None
            old = table.records.get(rid) if table else None
            if old is None:
                return None
            if expected_version is not None and old["meta"]["version"] != expected_version:
                raise VersionConflict(rid)
            table.unindex(old, rtype)
            del table.records[rid]
            del table.seq[rid]
            table.order = None
            for gid in ws.groups_of.pop(rid, ()):   # the resource leaves every group
                ws.members[gid].pop(rid, None)
            for member_id in ws.members.pop(rid, {}):  # a deleted group releases its members
                groups = ws.groups_of.get(member_id)
                if groups is not None:
                    groups.discard(rid)
            return old

    # --- membership ----------------------------------------------------------------
    def _apply_members(self, workspace: str, gid: str, change: MembershipChange) -> None:
        """Under the lock. A member deleted since the service checked it is not added."""
        ws = self._workspaces[workspace]
        current = ws.members[gid]

        def exists(member_id: str) -> bool:
            return any(member_id in table.records for table in ws.tables.values())

        if change.replace_all is not None:
            keep = {m.value for m in change.replace_all}
            for member_id in [i for i in current if i not in keep]:
                del current[member_id]
                ws.groups_of[member_id].discard(gid)
        for member_id in change.remove:
            if current.pop(member_id, None) is not None:
                ws.groups_of[member_id].discard(gid)
        for m in (change.replace_all or []) + change.add:
            if m.value not in current and exists(m.value):
                current[m.value] = m
                ws.groups_of[m.value].add(gid)

    def change_members(self, workspace, group_id, change, meta):
        with self._lock:
            table = self._table(workspace, _GROUP)
            old = table.records.get(group_id)
            if old is None:
                raise NotFound(f"Group {group_id} not found")
            record = {**old, "meta": {**old["meta"], **meta, "version": old["meta"]["version"] + 1}}
            table.records[group_id] = record
            self._apply_members(workspace, group_id, change)
            return record

    def members(self, workspace, group_id):
        with self._lock:
            ws = self._workspaces.get(workspace)
            return list(ws.members.get(group_id, {}).values()) if ws else []

    def groups_of(self, workspace, user_id):
        ws = self._workspaces.get(workspace)
        if not ws or not ws.groups_of.get(user_id):
            return []
        with self._lock:
            groups = ws.tables["Group"].records
            return [{"value": gid, "display": groups[gid].get("displayName")}
                    for gid in sorted(ws.groups_of.get(user_id, ()), key=lambda g: groups[g]["meta"]["created"])
                    if gid in groups]

    def existing_ids(self, workspace, ids: Iterable[str]):
        ws = self._workspaces.get(workspace)
        if not ws:
            return {}
        found = {}
        for rid in ids:
            for name, table in ws.tables.items():
                if rid in table.records:
                    found[rid] = name
                    break
        return found

    # --- queries ---------------------------------------------------------------------
    def search(self, workspace, rtype, query: Query) -> Page:
        with self._lock:
            ws = self._workspaces.get(workspace)
            table = ws.tables.get(rtype.name) if ws else None
            if table is None:
                return Page(0, [])
            if query.filter is None and query.sort is None and query.after is None and query.before is None:
                return self._plain_page(table, query)
            hydrate = self._hydrator(ws, rtype)
            candidates = self._candidates(table, query.filter, rtype)
            if candidates is None:
                rows = table.records.values()
            else:
                rows = [table.records[i] for i in sorted(candidates, key=table.seq.__getitem__)]
            if query.filter is not None:
                rows = [r for r in rows if matches(r, query.filter, rtype, hydrate)]
            if query.sort is not None:
                rows = sorted(rows, key=lambda r: _sort_key(r, query.sort, rtype, table))
                if query.sort.descending:
                    rows.reverse()
                key = lambda r: _sort_key(r, query.sort, rtype, table)  # noqa: E731
            else:
                key = lambda r: (table.seq[r["id"]],)  # noqa: E731
            return _page(rows, query, key)

    @staticmethod
    def _plain_page(table: _Table, query: Query) -> Page:
        """Creation order: a slice of ``table.order``, whatever the startIndex (no walk over the table)."""
        total = len(table.records)
        start = max(query.start_index, 1) - 1
        if table.order is None:
            table.order = list(table.records)   # dict order is creation order (replace keeps a key's place)
        rows = [table.records[rid] for rid in table.order[start:start + query.count]]
        key = lambda r: (table.seq[r["id"]],)  # noqa: E731
        return Page(total, rows, key(rows[0]) if rows else None, key(rows[-1]) if rows else None,
                    start + query.count < total, start > 0)

    def _hydrator(self, ws: _Workspace, rtype: ResourceType):
        def hydrate(record: dict, attr: str):
            if attr == "schemas":
                return [s for s in rtype.schema_ids if s == rtype.schema.id or s in record]
            if attr == "members":
                return [{"value": m.value, "type": m.type} for m in ws.members.get(record["id"], {}).values()]
            if attr == "groups":
                return [{"value": g, "type": "direct"} for g in ws.groups_of.get(record["id"], ())]
            return None
        return hydrate

    def _candidates(self, table: _Table, node, rtype: ResourceType) -> set[str] | None:
        """Ids an index can narrow the filter to, or None to scan."""
        if isinstance(node, And):
            left = self._candidates(table, node.left, rtype)
            right = self._candidates(table, node.right, rtype)
            if left is None or right is None:
                return left if right is None else right
            return left & right
        if isinstance(node, ValuePath) and node.path == AttrPath("emails"):
            return self._candidates_in_emails(table, node.filter)
        if not isinstance(node, Compare) or node.op != "eq" or not isinstance(node.value, str):
            return None
        path = node.path
        if path.urn is not None:
            return None
        if path == AttrPath("id"):
            return {node.value} if node.value in table.records else set()
        if path == AttrPath("externalId"):
            return _ids(table.external, node.value)
        if path == AttrPath("emails", "value"):
            return _ids(table.emails, node.value.casefold())
        if path.sub_attr is None and any(a.name == path.attr for a in unique_attributes(rtype)):
            rid = table.unique[path.attr].get(node.value.casefold())
            return {rid} if rid else set()
        return None

    def _candidates_in_emails(self, table: _Table, node) -> set[str] | None:
        if isinstance(node, And):
            left = self._candidates_in_emails(table, node.left)
            right = self._candidates_in_emails(table, node.right)
            if left is None or right is None:
                return left if right is None else right
            return left & right
        if isinstance(node, Compare) and node.op == "eq" and node.path == AttrPath("value") \
                and isinstance(node.value, str):
            return _ids(table.emails, node.value.casefold())
        return None

    # --- activity ------------------------------------------------------------------------
    def record_activity(self, entry):
        with self._lock:
            self._workspaces[entry["workspace"]].activity.append(dict(entry))

    def activity(self, workspace, limit=50):
        with self._lock:
            ws = self._workspaces.get(workspace)
            if not ws:
                return []
            return list(itertools.islice(reversed(ws.activity), limit))


def _sort_key(record: dict, sort: SortKey, rtype: ResourceType, table: _Table) -> tuple:
    path = AttrPath(sort.attr, sort.sub_attr, sort.urn)
    found = rtype.resolve(sort.attr, sort.sub_attr, sort.urn)
    value = sort_value(record, path, found.attribute.multi_valued)
    if isinstance(value, str) and not found.target.case_exact:
        value = value.casefold()
    # Unassigned last when ascending; the creation sequence breaks ties.
    return (value is None, value if value is not None else "", table.seq[record["id"]])


def sort_value(record: dict, path: AttrPath, multi_valued: bool):
    """A multi-valued attribute sorts by its primary value, else its first (RFC 7644 §3.4.2.3)."""
    if multi_valued:
        holder = record.get(path.urn) if path.urn else record
        elements = (holder or {}).get(path.attr) or []
        chosen = next((e for e in elements if isinstance(e, dict) and e.get("primary") is True),
                      elements[0] if elements else None)
        if chosen is None:
            return None
        if isinstance(chosen, dict):
            return chosen.get(path.sub_attr or "value")
        return chosen
    values = values_at(record, path)
    return values[0] if values else None


def _page(rows, query: Query, key) -> Page:
    rows = rows if isinstance(rows, list) else list(rows)
    total = len(rows)
    if query.after is not None or query.before is not None:
        if query.after is not None:
            start = next((i for i, r in enumerate(rows) if key(r) > query.after), total) \
                if not (query.sort and query.sort.descending) else \
                next((i for i, r in enumerate(rows) if key(r) < query.after), total)
            chunk = rows[start:start + query.count]
            has_previous = start > 0
            has_more = start + query.count < total
        else:
            desc = bool(query.sort and query.sort.descending)
            end = next((i for i, r in enumerate(rows) if (key(r) >= query.before if not desc else key(r) <= query.before)), total)
            start = max(0, end - query.count)
            chunk = rows[start:end]
            has_previous = start > 0
            has_more = end < total
    else:
        start = max(query.start_index, 1) - 1
        chunk = rows[start:start + query.count]
        has_previous = start > 0
        has_more = start + query.count < total
    return Page(total, chunk, key(chunk[0]) if chunk else None, key(chunk[-1]) if chunk else None,
                has_more, has_previous)


def create_backend(config=None) -> MemoryBackend:
    return MemoryBackend(config)
