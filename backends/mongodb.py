"""MongoDB storage: several gunicorn workers (and hosts) share one database.

Configuration: ``MONGODB_URI``; the database is the URI's path, ``scim`` when
it has none (``mongodb://db.internal:27017/scim``). ``mongomock://host/db``
runs this same backend on mongomock, in process, for tests and demos only
(``single_process`` is then True, so the app refuses more than one worker).

Collections, every document and every query naming the workspace:

- ``resources``: one document per User or Group (layout in
  ``backends.mongo_documents``). Indexes: (workspace, type, id) unique;
  (workspace, type, _id) for the default order and cursors; one unique partial
  index per attribute the schema marks ``uniqueness: server`` (userName,
  Group displayName) on its case-folded search-view field; (workspace, type,
  field) for the lookups IdPs send (externalId, emails.value).
- ``memberships``: one document per (workspace, group, member), unique; indexed
  both ways. Adds are unordered inserts whose duplicates the unique index turns
  into no-ops, removes are ``delete_many``: every change is idempotent.
- ``tokens``: token hashes, unique by hash and by workspace.
- ``activity``: the audit trail, newest first by (workspace, time).

Correctness does not depend on a single process: uniqueness comes only from the
unique indexes (``DuplicateKeyError`` becomes ``Uniqueness``); ``replace`` and
``delete`` are compare-and-swap on ``meta.version`` in the filter of one
write; membership changes bump the group's version with ``$inc``.

Limits (the README repeats them):

- A membership change is several writes, not one transaction (transactions
  need a replica set, and mongomock has none). The group's version is bumped
  first; the member writes follow and are idempotent, so a retry completes an
  interrupted change. An add re-reads, after its insert, whether the group and
  the new members still exist and removes what a concurrent delete missed.
- Filters on ``members``/``groups`` support only the ``value`` sub-attribute and
  resolve to at most ``RELATION_FILTER_LIMIT`` ids (``TooMany`` beyond).
- The default order is ObjectId order: creation order within a worker, to the
  second across workers. ``startIndex`` paging skips on the server (cost grows
  with the offset); cursors are range queries on (sort key, _id).
- A ``sortBy`` runs as an aggregation that sorts the filtered documents
  (unassigned values last); it does not use an index.
- mongomock proves the semantics, not the performance: it has no query planner
  (every query scans, and every insert scans once per unique index, so loading
  N documents costs O(N^2)), ignores partial filters when an index is created,
  has no collations and no transactions, and runs in one process. Index use and
  cross-process races are therefore argued from the index definitions and the
  single-document atomic writes (``bench/mongo_lookups.py``), not measured.
"""
from __future__ import annotations

import functools
import inspect
import logging
import threading
from urllib.parse import urlsplit

import pymongo
from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from backends.base import Backend, Member, MembershipChange, Page, Query
from backends.mongo_documents import from_document, meta_update, to_document
from backends.mongo_filters import MEMBERSHIP_FIELDS, Translator, combine, locate, sort_field
from scim_service.errors import (
    ConfigError, InvalidCursor, NotFound, TooMany, Uniqueness, VersionConflict,
)
from scim_service.filters.ast import AttrPath
from scim_service.resources import unique_attributes
from scim_service.schema import GROUP_TYPE, RESOURCE_TYPES, ResourceType

log = logging.getLogger("scim_service.backends.mongodb")

DEFAULT_DATABASE = "scim"
RELATION_FILTER_LIMIT = 50_000
#: Filters IdPs send on every provisioning cycle (idp-behaviors.md): each gets an index.
LOOKUP_PATHS = {"User": ("externalId", "emails.value"), "Group": ("externalId",)}
_DUPLICATE_KEY = 11000
_RECORD_ONLY = {"record": 1, "_id": 0}


class MongoBackend(Backend):
    name = "mongodb"

    def __init__(self, client, database: str, *, single_process: bool = False):
        self.single_process = single_process
        self._client = client
        db = client[database]
        self.resources = db["resources"]
        self.memberships = db["memberships"]
        self.tokens = db["tokens"]
        self.activity_log = db["activity"]
        self._unique_indexes: dict[str, str] = {}   # index name -> attribute name
        self.create_indexes()

    # --- indexes ------------------------------------------------------------------
    def index_plan(self) -> list[tuple[object, list[tuple[str, int]], dict]]:
        """(collection, key pattern, options) of every index this backend needs."""
        plan = [
            (self.resources, [("workspace", 1), ("type", 1), ("id", 1)], {"name": "resource_id", "unique": True}),
            (self.resources, [("workspace", 1), ("type", 1), ("_id", 1)], {"name": "creation_order"}),
        ]
        for rtype in RESOURCE_TYPES.values():
            for attr in unique_attributes(rtype):
                field = locate(rtype, AttrPath(attr.name)).field
                name = f"unique_{rtype.name}_{attr.name}"
                self._unique_indexes[name] = attr.name
                plan.append((self.resources, [("workspace", 1), ("type", 1), (field, 1)], {
                    "name": name, "unique": True,
                    "partialFilterExpression": {"type": rtype.name, field: {"$exists": True}}}))
            for path in LOOKUP_PATHS.get(rtype.name, ()):
                attr, _, sub = path.partition(".")
                field = locate(rtype, AttrPath(attr, sub or None)).field
                plan.append((self.resources, [("workspace", 1), ("type", 1), (field, 1)],
                             {"name": f"lookup_{path}"}))
        plan += [
            (self.memberships, [("workspace", 1), ("group", 1), ("member", 1)], {"name": "membership", "unique": True}),
            (self.memberships, [("workspace", 1), ("member", 1)], {"name": "groups_of"}),
            (self.tokens, [("hash", 1)], {"name": "token_hash", "unique": True}),
            (self.tokens, [("workspace", 1)], {"name": "token_workspace", "unique": True}),
            (self.activity_log, [("workspace", 1), ("time", -1), ("_id", -1)], {"name": "activity_recent"}),
        ]
        return plan

    def create_indexes(self) -> None:
        """Idempotent: an index that exists with the same definition is left alone."""
        seen = set()
        for collection, keys, options in self.index_plan():
            if (collection.name, options["name"]) in seen:
                continue   # two resource types may share a lookup field (externalId)
            seen.add((collection.name, options["name"]))
            collection.create_index(keys, **options)

    # --- tokens -------------------------------------------------------------------
    def set_token(self, workspace, token_hash, token_id):
        try:
            self.tokens.replace_one({"workspace": workspace},
                                    {"workspace": workspace, "hash": token_hash, "token_id": token_id},
                                    upsert=True)
        except DuplicateKeyError:
            raise ConfigError(f"this token is already the token of another workspace than {workspace!r}") from None

    def find_token(self, token_hash):
        found = self.tokens.find_one({"hash": token_hash}, {"_id": 0})
        return (found["workspace"], found["token_id"], found["hash"]) if found else None

    def has_tokens(self):
        return self.tokens.find_one({}, {"_id": 1}) is not None

    # --- resources ----------------------------------------------------------------
    def _where(self, workspace: str, rtype: ResourceType, rid: str) -> dict:
        return {"workspace": workspace, "type": rtype.name, "id": rid}

    def create(self, workspace, rtype, record, members=None):
        # Crash safety: memberships first, under the new group's id, then the group itself. A worker
        # killed in between leaves membership documents of a group that never appears, never a group
        # visible with part of its members; the IdP's retry creates the group anew.
        doc = {"_id": ObjectId(), **to_document(workspace, rtype, record)}
        if members:
            self._insert_memberships(workspace, record["id"], members)
        try:
            self.resources.insert_one(doc)
        except DuplicateKeyError as exc:
            if members:
                self.memberships.delete_many({"workspace": workspace, "group": record["id"]})
            raise self._uniqueness(exc, workspace, rtype, record) from None
        if members:
            self._drop_vanished(workspace, record["id"], members)
        return record

    def get(self, workspace, rtype, rid):
        doc = self.resources.find_one(self._where(workspace, rtype, rid), _RECORD_ONLY)
        return from_document(doc) if doc else None

    def replace(self, workspace, rtype, record, expected_version, members=None):
        where = self._where(workspace, rtype, record["id"])
        try:
            result = self.resources.replace_one({**where, "record.meta.version": expected_version},
                                                to_document(workspace, rtype, record))
        except DuplicateKeyError as exc:
            raise self._uniqueness(exc, workspace, rtype, record) from None
        if result.matched_count == 0:
            if self.resources.find_one(where, {"_id": 1}) is not None:
                raise VersionConflict(record["id"])
            raise NotFound(f"{rtype.name} {record['id']} not found")
        if members is not None and not members.is_empty():
            self._apply_members(workspace, record["id"], members)
        return record

    def delete(self, workspace, rtype, rid, expected_version=None):
        where = self._where(workspace, rtype, rid)
        query = where if expected_version is None else {**where, "record.meta.version": expected_version}
        doc = self.resources.find_one_and_delete(query, projection=_RECORD_ONLY)
        if doc is None:
            if expected_version is not None and self.resources.find_one(where, {"_id": 1}) is not None:
                raise VersionConflict(rid)
            return None
        self.memberships.delete_many({"workspace": workspace, "$or": [{"group": rid}, {"member": rid}]})
        return from_document(doc)

    def _uniqueness(self, exc: DuplicateKeyError, workspace: str, rtype: ResourceType, record: dict) -> Uniqueness:
        """Name the attribute: from the index in the error, else (mongomock) from who holds the value."""
        message = str((exc.details or {}).get("errmsg") or exc)
        attr = next((a for name, a in self._unique_indexes.items() if name in message), None)
        if attr is None:
            for candidate in unique_attributes(rtype):
                field = locate(rtype, AttrPath(candidate.name)).field
                value = to_document(workspace, rtype, record)["search"].get(candidate.name)
                if value is not None and self.resources.find_one(
                        {"workspace": workspace, "type": rtype.name, field: value, "id": {"$ne": record["id"]}},
                        {"_id": 1}):
                    attr = candidate.name
                    break
        if attr is None or attr not in record:
            return Uniqueness(f"a {rtype.name} with the same unique value already exists in this workspace")
        return Uniqueness(f"{attr} {record[attr]!r} is already used by another {rtype.name} in this workspace")

    # --- membership ----------------------------------------------------------------
    def _add_members(self, workspace: str, group_id: str, members: list[Member]) -> None:
        self._insert_memberships(workspace, group_id, members)
        self._drop_vanished(workspace, group_id, members)

    def _insert_memberships(self, workspace: str, group_id: str, members: list[Member]) -> None:
        docs = [{"_id": ObjectId(), "workspace": workspace, "group": group_id, "member": m.value, "type": m.type}
                for m in members]
        if not docs:
            return
        try:
            self.memberships.insert_many(docs, ordered=False)
        except BulkWriteError as exc:   # already members: the unique index made those inserts no-ops
            if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", ())):
                raise

    def _drop_vanished(self, workspace: str, group_id: str, members: list[Member]) -> None:
        """A DELETE that removed a member (or the group) after the service checked it, and cleaned
        memberships before our insert, missed these documents. Whatever is gone now, we remove:
        a delete landing after this read cleans up after us itself."""
        wanted = [group_id, *dict.fromkeys(m.value for m in members)]
        present = self._types_of(workspace, wanted)
        if group_id not in present:
            self.memberships.delete_many({"workspace": workspace, "group": group_id})
        elif len(present) < len(set(wanted)):
            gone = [rid for rid in wanted if rid not in present]
            self.memberships.delete_many({"workspace": workspace, "group": group_id, "member": {"$in": gone}})

    def _apply_members(self, workspace: str, group_id: str, change: MembershipChange) -> None:
        group = {"workspace": workspace, "group": group_id}
        if change.replace_all is not None:
            keep = [m.value for m in change.replace_all]
            self.memberships.delete_many({**group, "member": {"$nin": keep}})
            self._add_members(workspace, group_id, change.replace_all)
        if change.remove:
            self.memberships.delete_many({**group, "member": {"$in": list(change.remove)}})
        if change.add:
            self._add_members(workspace, group_id, change.add)

    def change_members(self, workspace, group_id, change, meta):
        update = {"$inc": {"record.meta.version": 1}}
        fields = meta_update(GROUP_TYPE, meta)
        if fields:
            update["$set"] = fields
        doc = self.resources.find_one_and_update(self._where(workspace, GROUP_TYPE, group_id), update,
                                                 projection=_RECORD_ONLY, return_document=ReturnDocument.AFTER)
        if doc is None:
            raise NotFound(f"Group {group_id} not found")
        self._apply_members(workspace, group_id, change)
        return from_document(doc)

    def members(self, workspace, group_id):
        found = [Member(m["member"], m.get("type") or "User") for m in self.memberships.find(
            {"workspace": workspace, "group": group_id}, {"_id": 0, "member": 1, "type": 1}).sort("_id", 1)]
        present = self._types_of(workspace, [m.value for m in found])
        dangling = [m.value for m in found if m.value not in present]
        if dangling:   # left by a DELETE whose worker died between its two writes: healed on read
            self.memberships.delete_many({"workspace": workspace, "group": group_id, "member": {"$in": dangling}})
        return [m for m in found if m.value in present]

    def groups_of(self, workspace, user_id):
        ids = [m["group"] for m in self.memberships.find({"workspace": workspace, "member": user_id},
                                                          {"_id": 0, "group": 1})]
        if not ids:
            return []
        groups = self.resources.find({"workspace": workspace, "type": GROUP_TYPE.name, "id": {"$in": ids}},
                                     {"id": 1, "record.displayName": 1}).sort("_id", 1)
        return [{"value": g["id"], "display": g["record"].get("displayName")} for g in groups]

    def existing_ids(self, workspace, ids):
        return self._types_of(workspace, ids)

    def _types_of(self, workspace: str, ids) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        found = self.resources.find(
            {"workspace": workspace, "type": {"$in": list(RESOURCE_TYPES)}, "id": {"$in": wanted}},
            {"_id": 0, "id": 1, "type": 1})
        return {doc["id"]: doc["type"] for doc in found}

    def _relation_ids(self, workspace: str):
        def lookup(relation: str, query: dict) -> list[str]:
            holder, _ = MEMBERSHIP_FIELDS[relation]
            found = self.memberships.find(combine([{"workspace": workspace}, query]),
                                          {"_id": 0, holder: 1}).limit(RELATION_FILTER_LIMIT + 1)
            ids = list(dict.fromkeys(m[holder] for m in found))
            if len(ids) > RELATION_FILTER_LIMIT:
                raise TooMany(f"the filter on '{relation}' involves more than {RELATION_FILTER_LIMIT} "
                              "resources; narrow it (e.g. with 'and') or page the group's members instead")
            return ids
        return lookup

    # --- queries ---------------------------------------------------------------------
    def search(self, workspace, rtype, query: Query) -> Page:
        match = {"workspace": workspace, "type": rtype.name}
        if query.filter is not None:
            match = combine([match, Translator(rtype, self._relation_ids(workspace)).query(query.filter)])
        order = _SortedBy(self.resources, sort_field(query.sort, rtype), query.sort.descending) \
            if query.sort is not None else _CreationOrder(self.resources)
        count = max(query.count, 0)
        if query.after is None and query.before is None:
            skip = max(query.start_index, 1) - 1
            rows = order.fetch(match, None, skip=skip, limit=count + 1)
            chunk = rows[:count]
            if len(rows) <= count and (skip == 0 or rows):
                total = skip + len(rows)   # this page holds the last row: no count needed
            else:
                total = self.resources.count_documents(match)
            return order.page(total, chunk, has_more=len(rows) > count, has_previous=skip > 0)
        total = self.resources.count_documents(match)
        if query.after is not None:
            key = order.check_key(query.after)
            rows = order.fetch(match, order.beyond(key, forward=True), limit=count + 1)
            has_previous = order.exists(match, {"$nor": [order.beyond(key, forward=True)]})
            return order.page(total, rows[:count], has_more=len(rows) > count, has_previous=has_previous)
        key = order.check_key(query.before)
        rows = order.fetch(match, order.beyond(key, forward=False), limit=count + 1, backwards=True)
        has_more = order.exists(match, {"$nor": [order.beyond(key, forward=False)]})
        return order.page(total, rows[:count][::-1], has_more=has_more, has_previous=len(rows) > count)

    # --- activity ------------------------------------------------------------------------
    def record_activity(self, entry):
        self.activity_log.insert_one({"_id": ObjectId(), **entry})

    def activity(self, workspace, limit=50):
        if limit <= 0:
            return []
        found = self.activity_log.find({"workspace": workspace}, {"_id": 0}) \
            .sort([("time", -1), ("_id", -1)]).limit(limit)
        return list(found)

    # --- lifecycle ------------------------------------------------------------------
    def ping(self):
        if self.single_process:
            return True
        try:
            with pymongo.timeout(5):
                return bool(self._client.admin.command("ping").get("ok"))
        except PyMongoError:
            log.warning("MongoDB ping failed", exc_info=True)
            return False

    def close(self):
        self._client.close()


def _lexicographic(fields: list[str], key: tuple, op: str) -> dict:
    """Documents whose (fields...) tuple is beyond ``key`` in the ``op`` ("$gt"/"$lt") direction."""
    clauses = []
    for i, field in enumerate(fields):
        clause = {fields[j]: key[j] for j in range(i)}
        clause[field] = {op: key[i]}
        clauses.append(clause)
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def _object_id(text) -> ObjectId:
    try:
        return ObjectId(text)
    except (InvalidId, TypeError):
        raise _foreign_cursor() from None


def _foreign_cursor() -> InvalidCursor:
    return InvalidCursor("the cursor does not fit this query on this backend; start again with cursor=''")


class _CreationOrder:
    """The default order: ObjectId, i.e. creation order. Position key: (ObjectId hex,)."""

    def __init__(self, collection):
        self.collection = collection
        self.descending = False

    def check_key(self, key) -> tuple:
        if not isinstance(key, tuple) or len(key) != 1:
            raise _foreign_cursor()
        return (_object_id(key[0]),)

    def beyond(self, key: tuple, forward: bool) -> dict:
        return {"_id": {"$gt" if forward else "$lt": key[0]}}

    def fetch(self, match, beyond, *, skip=0, limit, backwards=False) -> list[dict]:
        query = match if beyond is None else combine([match, beyond])
        cursor = self.collection.find(query, {"record": 1}).sort("_id", -1 if backwards else 1)
        return list(cursor.skip(skip).limit(limit))

    def exists(self, match, condition) -> bool:
        return self.collection.find_one(combine([match, condition]), {"_id": 1}) is not None

    def position(self, doc) -> tuple:
        return (str(doc["_id"]),)

    def page(self, total, chunk, *, has_more, has_previous) -> Page:
        return Page(total, [from_document(d) for d in chunk],
                    self.position(chunk[0]) if chunk else None, self.position(chunk[-1]) if chunk else None,
                    has_more, has_previous)


class _SortedBy(_CreationOrder):
    """``sortBy``: (unassigned, value, _id), unassigned last ascending, all reversed descending.

    Position key: (unassigned: bool, value, ObjectId hex).
    """

    FIELDS = ["_unassigned", "_value", "_id"]

    def __init__(self, collection, field: str, descending: bool):
        super().__init__(collection)
        self.field = field
        self.descending = descending

    def check_key(self, key) -> tuple:
        if not isinstance(key, tuple) or len(key) != 3 or not isinstance(key[0], bool) \
                or isinstance(key[1], (tuple, list, dict)):
            raise _foreign_cursor()
        return (key[0], key[1], _object_id(key[2]))

    def beyond(self, key: tuple, forward: bool) -> dict:
        op = "$gt" if forward != self.descending else "$lt"
        if key[0]:   # unassigned rows have no value to compare
            return _lexicographic(["_unassigned", "_id"], (key[0], key[2]), op)
        return _lexicographic(self.FIELDS, key, op)

    def _pipeline(self, match, beyond) -> list[dict]:
        stages = [{"$match": match},
                  {"$addFields": {"_unassigned": {"$eq": [{"$ifNull": [f"${self.field}", None]}, None]},
                                  "_value": f"${self.field}"}}]
        if beyond is not None:
            stages.append({"$match": beyond})
        return stages

    def fetch(self, match, beyond, *, skip=0, limit, backwards=False) -> list[dict]:
        direction = -1 if self.descending != backwards else 1
        stages = self._pipeline(match, beyond) + [
            {"$sort": {name: direction for name in self.FIELDS}},
            {"$skip": skip}, {"$limit": limit},
            {"$project": {"record": 1, "_unassigned": 1, "_value": 1}}]
        return list(self.collection.aggregate(stages, allowDiskUse=True))

    def exists(self, match, condition) -> bool:
        stages = self._pipeline(match, condition) + [{"$limit": 1}, {"$project": {"_id": 1}}]
        return bool(list(self.collection.aggregate(stages)))

    def position(self, doc) -> tuple:
        return (bool(doc["_unassigned"]), doc.get("_value"), str(doc["_id"]))


def _database_name(uri: str) -> str:
    return urlsplit(uri).path.strip("/").split("/")[0] or DEFAULT_DATABASE


def create_backend(config) -> MongoBackend:
    uri = getattr(config, "mongodb_uri", "") or ""
    if not uri:
        raise ConfigError("the mongodb backend needs MONGODB_URI (e.g. mongodb://localhost:27017/scim)")
    if uri.startswith("mongomock://"):
        import mongomock   # a test/demo dependency only
        log.warning("mongomock: in-process, for tests and demos only")
        host = urlsplit(uri).netloc or "localhost"
        backend = MongoBackend(mongomock.MongoClient(f"mongodb://{host}"), _database_name(uri), single_process=True)
        return _serialized(backend)
    try:
        client = pymongo.MongoClient(uri)
        database = client.get_default_database(DEFAULT_DATABASE).name
        return MongoBackend(client, database)
    except PyMongoError as exc:
        raise ConfigError(f"MONGODB_URI: could not use MongoDB: {exc}") from exc


def _serialized(backend: MongoBackend) -> MongoBackend:
    """mongomock is not thread-safe (its collections are plain dicts): one call at a time.

    A real server needs no such lock; the threads of a gunicorn worker then race
    as separate processes would, and the writes are built for that.
    """
    lock = threading.RLock()

    def locked(method):
        @functools.wraps(method)
        def call(*args, **kwargs):
            with lock:
                return method(*args, **kwargs)
        return call

    for name, _ in inspect.getmembers(Backend, inspect.isfunction):
        if not name.startswith("_"):
            setattr(backend, name, locked(getattr(backend, name)))
    return backend
