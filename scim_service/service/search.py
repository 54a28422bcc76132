"""Queries: filter, sort, index and cursor paging, projection (RFC 7644 §3.4.2-3, RFC 9865)."""
from __future__ import annotations

from dataclasses import dataclass

from backends.base import Query, SortKey
from scim_service.errors import InvalidFilter, InvalidPath, InvalidValue
from scim_service.filters.bind import bind_filter, sort_path
from scim_service.filters.parser import parse_filter, parse_patch_path
from scim_service.projection import parse_projection
from scim_service.schema import ResourceType
from scim_service.service import cursors
from scim_service.service.context import Context
from scim_service.service.crud import to_resource

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_START_INDEX = 2**31 - 1


@dataclass(frozen=True)
class SearchParams:
    filter: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None
    start_index: int | None = None
    count: int | None = None
    attributes: str | None = None
    excluded_attributes: str | None = None
    cursor: str | None = None


def _sort(rtype: ResourceType, params: SearchParams) -> SortKey | None:
    order = (params.sort_order or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise InvalidValue(f"sortOrder must be 'ascending' or 'descending', got {params.sort_order!r}")
    if not params.sort_by:
        return None
    try:
        path, attr = sort_path(params.sort_by, rtype, parse_patch_path)
    except (InvalidPath, InvalidFilter) as exc:
        raise InvalidValue(f"sortBy {params.sort_by!r}: {exc.detail}") from None
    if attr.type == "complex":
        if attr.sub("value") is None:
            raise InvalidValue(f"sortBy {params.sort_by!r} names a complex attribute; name one of its sub-attributes")
        return SortKey(path.attr, "value", path.urn, order == "descending")   # manager, emails: by value
    return SortKey(path.attr, path.sub_attr, path.urn, order == "descending")


def bound_filter(rtype: ResourceType, text: str | None):
    return bind_filter(parse_filter(text), rtype) if text else None


def page_size(ctx: Context, params: SearchParams) -> int:
    if params.count is None:
        return ctx.config.default_count
    return min(max(params.count, 0), ctx.config.max_results)


def start_index(params: SearchParams) -> int:
    """1-based; values below 1 mean 1 (RFC 7644 §3.4.2.4); capped so no backend overflows."""
    return min(max(params.start_index or 1, 1), MAX_START_INDEX)


def search(ctx: Context, rtype: ResourceType, params: SearchParams) -> dict:
    projection = parse_projection(rtype, params.attributes, params.excluded_attributes)
    query = Query(filter=bound_filter(rtype, params.filter), sort=_sort(rtype, params),
                  start_index=start_index(params), count=page_size(ctx, params))
    fingerprint = None
    if params.cursor is not None:
        if params.start_index is not None:
            raise InvalidValue("send either 'cursor' or 'startIndex', not both")
        fingerprint = cursors.query_fingerprint(ctx.workspace, rtype.name, params.filter,
                                                params.sort_by, params.sort_order)
        if params.cursor:
            key, direction = cursors.decode(ctx.config, params.cursor, fingerprint)
            query = Query(query.filter, query.sort, 1, query.count,
                          after=key if direction == "next" else None,
                          before=key if direction == "previous" else None)
        else:
            query = Query(query.filter, query.sort, 1, query.count, after=None)
    page = ctx.backend.search(ctx.workspace, rtype, query)
    resources = [to_resource(ctx, rtype, r, projection) for r in page.records]
    body = {"schemas": [LIST_URN], "totalResults": page.total, "itemsPerPage": len(resources)}
    if fingerprint is None:
        body["startIndex"] = query.start_index
    else:
        if page.has_more and page.last_key is not None:
            body["nextCursor"] = cursors.encode(ctx.config, page.last_key, "next", fingerprint)
        if page.has_previous and page.first_key is not None and params.cursor:
            body["previousCursor"] = cursors.encode(ctx.config, page.first_key, "previous", fingerprint)
    body["Resources"] = resources
    return body


def search_all(ctx: Context, rtypes: list[ResourceType], params: SearchParams) -> dict:
    """``POST /.search`` at the root (RFC 7644 §3.4.3): every resource type, Users then Groups."""
    if params.cursor is not None:
        raise InvalidValue("cursor paging is offered per resource type; use /Users/.search or /Groups/.search")
    start = start_index(params)
    count = page_size(ctx, params)
    parts, errors = [], []
    for rtype in rtypes:
        try:
            flt = bound_filter(rtype, params.filter)
            sort = _sort(rtype, params)
            projection = parse_projection(rtype, params.attributes, params.excluded_attributes)
        except (InvalidFilter, InvalidValue) as exc:
            errors.append(exc)
            continue
        parts.append((rtype, flt, sort, projection))
    if not parts:
        raise errors[0]
    total, resources, skip, room = 0, [], start - 1, count
    for rtype, flt, sort, projection in parts:
        # Only the slice of each type that falls in the requested window is read.
        page = ctx.backend.search(ctx.workspace, rtype,
                                  Query(flt, sort, start_index=skip + 1, count=room))
        total += page.total
        resources.extend(to_resource(ctx, rtype, r, projection) for r in page.records)
        room -= len(page.records)
        skip = max(0, skip - page.total)
    return {"schemas": [LIST_URN], "totalResults": total, "itemsPerPage": len(resources),
            "startIndex": start, "Resources": resources}
