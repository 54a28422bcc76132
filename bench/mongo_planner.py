"""A query planner for mongomock, so that a lookup's latency shows whether an index serves it.

mongomock answers every find by scanning the whole collection: on it, a lookup
MongoDB answers from an index and one it would have to scan both grow linearly
with the data. ``use_indexes(collection)`` gives a mongomock collection the one
plan that matters for IdP lookups: when a query binds every key field of one of
the collection's *declared* indexes by equality (and implies its partial
filter), the candidates come from a hash of that index (multikey over arrays,
as MongoDB's), and only they are matched against the query; any other query
still scans. Latency then stays flat as the collection grows exactly when the
backend's query and indexes would let a real MongoDB seek instead of scan.

Hashes are built on first use and dropped on every write, so a read never sees
a stale one; the benchmark only reads while it measures.
"""
from __future__ import annotations

import functools
import itertools

from mongomock.filtering import filter_applies

_WRITES = ("insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one", "delete_many",
           "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write", "create_index",
           "drop_index", "drop_indexes")


def equality_values(query: dict, prefix: str = "") -> dict[str, object]:
    """Fields a query pins to one scalar (directly, with $eq, in a flat $and, or inside an $elemMatch)."""
    pinned: dict[str, object] = {}
    for key, value in query.items():
        if key == "$and":
            for part in value:
                pinned.update(equality_values(part, prefix))
        elif key.startswith("$"):
            continue
        elif isinstance(value, dict):
            if "$elemMatch" in value:
                pinned.update(equality_values(value["$elemMatch"], f"{prefix}{key}."))
            elif "$eq" in value and _scalar(value["$eq"]):
                pinned[prefix + key] = value["$eq"]
        elif _scalar(value):
            pinned[prefix + key] = value
    return pinned


def _scalar(value) -> bool:
    return value is not None and not isinstance(value, (dict, list))


def implies(query: dict, partial: dict | None) -> bool:
    """A partial index serves only queries that imply its filter ({field: value} or {field: {$exists: true}})."""
    pinned = equality_values(query)
    for field, wanted in (partial or {}).items():
        if wanted == {"$exists": True}:
            if field not in pinned:
                return False
        elif pinned.get(field, _MISSING) != wanted:
            return False
    return True


_MISSING = object()


def usable_index(query: dict, indexes: dict) -> tuple[str, dict] | None:
    """The declared index with the most key fields that the query binds by equality, if any."""
    pinned = equality_values(query)
    usable = [(name, spec) for name, spec in indexes.items()
              if name != "_id_" and all(field in pinned for field, _ in spec["key"])
              and implies(query, spec.get("partialFilterExpression"))]
    return max(usable, key=lambda item: len(item[1]["key"])) if usable else None


def _values_at(document, path: list[str]) -> list:
    """Every scalar at a dotted path, through arrays (the entries of a multikey index)."""
    if not path:
        if isinstance(document, list):
            return [v for item in document for v in _values_at(item, [])]
        return [] if document is None or isinstance(document, dict) else [document]
    if isinstance(document, list):
        return [v for item in document for v in _values_at(item, path)]
    if not isinstance(document, dict) or path[0] not in document:
        return []
    return _values_at(document[path[0]], path[1:])


class Planner:
    def __init__(self, collection):
        self.collection = collection
        self.scan = collection._iter_documents
        self.hashes: dict[str, dict[tuple, list[dict]]] = {}
        self.indexes: dict | None = None
        self.plans = {"index": 0, "scan": 0}

    def iter_documents(self, query):
        if self.indexes is None:
            self.indexes = self.collection.index_information()
        found = usable_index(query or {}, self.indexes)
        if found is None:
            self.plans["scan"] += 1
            return self.scan(query)
        name, spec = found
        self.plans["index"] += 1
        pinned = equality_values(query)
        key = tuple(pinned[field] for field, _ in spec["key"])
        return (doc for doc in self._hash(name, spec).get(key, ()) if filter_applies(query, doc))

    def _hash(self, name: str, spec: dict) -> dict[tuple, list[dict]]:
        table = self.hashes.get(name)
        if table is None:
            table = self.hashes[name] = {}
            fields = [field.split(".") for field, _ in spec["key"]]
            for doc in self.collection._store.documents:
                for key in set(itertools.product(*(_values_at(doc, f) for f in fields))):
                    table.setdefault(key, []).append(doc)
        return table

    def forget(self, write):
        @functools.wraps(write)
        def wrapped(*args, **kwargs):
            self.hashes.clear()
            self.indexes = None
            return write(*args, **kwargs)
        return wrapped


def use_indexes(collection) -> Planner:
    """Make ``collection`` (mongomock) answer index-bound equality queries from its declared indexes."""
    planner = Planner(collection)
    collection._iter_documents = planner.iter_documents
    for name in _WRITES:
        setattr(collection, name, planner.forget(getattr(collection, name)))
    return planner
