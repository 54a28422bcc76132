"""The MongoDB backend's IdP lookups at 1,000 and 100,000 users, on mongomock.

For each lookup an IdP sends on every sync (``id eq``, ``userName eq``,
``externalId eq``, ``emails[type eq "work"].value eq``) this prints the p50 of
``MongoBackend.search`` at both sizes and the 100k/1k ratio, then the query
document the lookup sends and the index a real MongoDB would answer it from.

mongomock has no query planner: it scans every document, so its ratio is near
100 whatever the indexes. The index argument is therefore made without it:
every index key pattern the backend creates is printed, and for each lookup the
fields its query binds by equality are shown to cover a key-pattern prefix of
one index (and, for a partial index, to imply its filter), which lets MongoDB
answer with an index scan whose cost does not grow with the collection.

    python bench/mongo_lookups.py            # about a minute on 2 cores

Seeding writes the backend's own documents (``to_document``) with insert_many
before the backend builds its indexes: mongomock checks a unique index on
every insert by scanning the collection, which would make 100,000 inserts
quadratic. The indexes are then created (and checked) over the loaded data.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mongomock  # noqa: E402
from bson import ObjectId  # noqa: E402

from backends.base import Query  # noqa: E402
from backends.mongo_documents import to_document  # noqa: E402
from backends.mongo_filters import Translator, combine  # noqa: E402
from backends.mongodb import MongoBackend  # noqa: E402
from scim_service.filters import parse_filter  # noqa: E402
from scim_service.filters.bind import bind_filter  # noqa: E402
from scim_service.schema import ENTERPRISE_URN, USER_TYPE  # noqa: E402

WS = "bench"
SIZES = (1_000, 100_000)
SAMPLES = {1_000: 15, 100_000: 3}     # timed searches per lookup and size (bounded: mongomock scans)
LOOKUPS = {
    "id eq": lambda u: f'id eq "{u["id"]}"',
    "userName eq": lambda u: f'userName eq "{u["userName"].upper()}"',
    "externalId eq": lambda u: f'externalId eq "{u["externalId"]}"',
    'emails[type eq "work"].value eq': lambda u: f'emails[type eq "work"].value eq "{u["emails"][0]["value"]}"',
}


def _record(i: int) -> dict:
    stamp = "2026-01-01T00:00:00.000Z"
    return {"id": str(uuid.UUID(int=i + 1)), "userName": f"user{i:07d}@example.com", "externalId": f"ext-{i:07d}",
            "displayName": f"User {i}", "active": True, "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
            "emails": [{"value": f"user{i:07d}@example.com", "type": "work", "primary": True},
                       {"value": f"u{i}@home.example", "type": "home"}],
            ENTERPRISE_URN: {"department": f"Dept{i % 50}"},
            "meta": {"created": stamp, "lastModified": stamp, "version": 1}}


def _seed(size: int) -> tuple[MongoBackend, list[dict]]:
    client = mongomock.MongoClient()
    records = [_record(i) for i in range(size)]
    started = time.perf_counter()
    docs = [{"_id": ObjectId(), **to_document(WS, USER_TYPE, r)} for r in records]
    for start in range(0, size, 10_000):
        client["bench"]["resources"].insert_many(docs[start:start + 10_000])
    backend = MongoBackend(client, "bench", single_process=True)   # builds and checks the indexes
    print(f"  seeded {size:,} users in {time.perf_counter() - started:.1f}s", flush=True)
    return backend, records


def _p50(backend: MongoBackend, records: list[dict], make_filter, samples: int) -> float:
    step = max(1, len(records) // samples)
    timings = []
    for record in records[step // 2::step][:samples]:
        bound = bind_filter(parse_filter(make_filter(record)), USER_TYPE)
        started = time.perf_counter()
        page = backend.search(WS, USER_TYPE, Query(filter=bound))
        timings.append(time.perf_counter() - started)
        if [r["id"] for r in page.records] != [record["id"]]:
            raise SystemExit(f"wrong answer for {make_filter(record)}: {[r['id'] for r in page.records]}")
    return statistics.median(timings)


def _equality_fields(query: dict, prefix: str = "") -> set[str]:
    """Fields a query pins to one value (directly, in a flat $and, or inside an $elemMatch)."""
    fields = set()
    for key, value in query.items():
        if key == "$and":
            for part in value:
                fields |= _equality_fields(part, prefix)
        elif key.startswith("$"):
            continue
        elif isinstance(value, dict) and "$elemMatch" in value:
            fields |= _equality_fields(value["$elemMatch"], f"{prefix}{key}.")
        elif not isinstance(value, dict):
            fields.add(prefix + key)
    return fields


def _implies(query: dict, partial: dict | None) -> bool:
    """A partial index serves only queries that imply its filter ({field: value} or {field: {$exists: true}})."""
    for field, wanted in (partial or {}).items():
        bound = _equality_fields(query)
        if isinstance(wanted, dict) and wanted == {"$exists": True}:
            if field not in bound:
                return False
        elif query.get(field) != wanted:
            return False
    return True


def _index_for(query: dict, indexes: dict) -> str:
    bound = _equality_fields(query)
    usable = [(name, spec) for name, spec in indexes.items()
              if name != "_id_" and all(field in bound for field, _ in spec["key"])
              and _implies(query, spec.get("partialFilterExpression"))]
    if not usable:
        return "NO INDEX covers this query's equality fields: a real MongoDB would scan"
    name, spec = max(usable, key=lambda item: len(item[1]["key"]))
    keys = ", ".join(field for field, _ in spec["key"])
    kind = "unique " if spec.get("unique") else ""
    partial = " (partial: the query implies its filter)" if spec.get("partialFilterExpression") else ""
    return f"{kind}index {name} ({keys}){partial}: every key field is bound by equality"


def main() -> None:
    results: dict[str, dict[int, float]] = {name: {} for name in LOOKUPS}
    backend = records = None
    for size in SIZES:
        print(f"{size:,} users", flush=True)
        backend, records = _seed(size)
        for name, make_filter in LOOKUPS.items():
            results[name][size] = _p50(backend, records, make_filter, SAMPLES[size])
            print(f"  {name:35s} p50 {results[name][size] * 1000:9.2f} ms", flush=True)

    small, large = SIZES
    print(f"\np50 {large:,} / {small:,} users (mongomock scans every document: ~100 means linear, as expected there)")
    for name in LOOKUPS:
        print(f"  {name:35s} {results[name][large] / results[name][small]:7.1f}x")

    indexes = backend.resources.index_information()
    print("\nindexes on resources (key patterns):")
    for name, spec in indexes.items():
        extra = " unique" if spec.get("unique") else ""
        if spec.get("partialFilterExpression"):
            extra += f" partial {json.dumps(spec['partialFilterExpression'])}"
        print(f"  {name:28s} {[field for field, _ in spec['key']]}{extra}")

    print("\nwhat each lookup sends, and the index a real MongoDB answers it from:")
    sample = records[len(records) // 2]
    for name, make_filter in LOOKUPS.items():
        bound = bind_filter(parse_filter(make_filter(sample)), USER_TYPE)
        query = combine([{"workspace": WS, "type": USER_TYPE.name}, Translator(USER_TYPE).query(bound)])
        print(f"  {name}\n    filter: {make_filter(sample)}\n    query:  {json.dumps(query, ensure_ascii=False)}"
              f"\n    uses:   {_index_for(query, indexes)}")


if __name__ == "__main__":
    main()
