"""Create, read, replace, patch and delete: one code path each, for single requests and Bulk."""
from __future__ import annotations

import hashlib
import os
import uuid
from typing import NamedTuple

from backends.base import Member, MembershipChange
from scim_service.errors import (
    InvalidValue, NotFound, PreconditionFailed, ScimError, VersionConflict,
)
from scim_service.patch import PatchEngine
from scim_service.projection import DEFAULT, Projection, project
from scim_service.representation import etag, group_ref_json, member_json, parse_etag, render
from scim_service.resources import check_immutable, check_required, normalize
from scim_service.schema import GROUP_TYPE, ResourceType
from scim_service.service import activity
from scim_service.service.context import Context, now_iso

CAS_RETRIES = 20
PASSWORD_ITERATIONS = 120_000


def seal_password(record: dict) -> None:
    """Keep only a salted PBKDF2 hash of a written password (writeOnly, returned never)."""
    password = record.pop("password", None)
    if password is None:
        return
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PASSWORD_ITERATIONS)
    record["_password"] = f"pbkdf2_sha256${PASSWORD_ITERATIONS}${salt.hex()}${digest.hex()}"


class Saved(NamedTuple):
    """A written resource as the client will see it (None when no projection was asked for), its
    version (for the ETag header) and its id."""

    resource: dict | None
    etag: str
    id: str


# --- reading ---------------------------------------------------------------------------
def to_resource(ctx: Context, rtype: ResourceType, record: dict, projection: Projection = DEFAULT,
                members: list[Member] | None = None) -> dict:
    """Render a record with its relations (fetched only when they will be returned)."""
    if rtype is GROUP_TYPE:
        member_list = None
        if projection.includes(rtype, "members"):
            if members is None:
                members = ctx.backend.members(ctx.workspace, record["id"])
            member_list = [member_json(ctx.base_url, m) for m in members]
        resource = render(record, rtype, ctx.base_url, members=member_list)
    else:
        groups = None
        if projection.includes(rtype, "groups"):
            groups = [group_ref_json(ctx.base_url, g) for g in ctx.backend.groups_of(ctx.workspace, record["id"])]
        resource = render(record, rtype, ctx.base_url, groups=groups)
    return resource if projection.is_default else project(resource, rtype, projection)


def load(ctx: Context, rtype: ResourceType, rid: str) -> dict:
    record = ctx.backend.get(ctx.workspace, rtype, rid) if isinstance(rid, str) else None
    if record is None:
        raise NotFound(f"{rtype.name} {rid!r} not found")
    return record


def check_if_match(record: dict, if_match: str | None) -> None:
    """``If-Match`` (RFC 7644 §3.14): ``*`` or a list of ETags, one of which must be current."""
    if if_match is None:
        return
    tags = [t.strip() for t in if_match.split(",") if t.strip()]
    if "*" in tags:
        return
    if record["meta"]["version"] not in {parse_etag(t) for t in tags}:
        raise PreconditionFailed(
            f"If-Match {if_match} does not match the current version W/\"{record['meta']['version']}\"; "
            "read the resource again and retry")


# --- membership --------------------------------------------------------------------------
def resolve_members(ctx: Context, group_id: str | None, members: list[Member]) -> list[Member]:
    """Every member must exist in this workspace; fills in each member's type."""
    if not members:
        return []
    ids = [m.value for m in members]
    if group_id is not None and group_id in ids:
        raise InvalidValue(f"group {group_id} cannot be a member of itself")
    found = ctx.backend.existing_ids(ctx.workspace, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise InvalidValue(f"members must be Users or Groups of this workspace; unknown id(s): {shown}")
    out = []
    for m in members:
        kind = found[m.value]
        if m.type and m.type != kind:
            raise InvalidValue(f"member {m.value} is a {kind}, not a {m.type}")
        out.append(Member(m.value, kind))
    return out


def _members_from_body(raw: list[dict] | None) -> list[Member]:
    return [Member(m["value"], m["type"]) for m in raw or []]


# --- writing ------------------------------------------------------------------------------
def create(ctx: Context, rtype: ResourceType, body, projection: Projection | None = DEFAULT) -> Saved:
    record, raw_members = normalize(body, rtype, ctx.limits)
    try:
        check_required(record, rtype)
        members = resolve_members(ctx, None, _members_from_body(raw_members))
        if rtype.name == "User" and "active" not in record:
            record["active"] = True   # Okta reactivates users reported inactive
        seal_password(record)
        stamp = now_iso()
        record = {"id": str(uuid.uuid4()), **record,
                  "meta": {"created": stamp, "lastModified": stamp, "version": 1}}
        ctx.backend.create(ctx.workspace, rtype, record, members)
    except ScimError as exc:
        activity.record(ctx, "create", rtype.name, None, activity.display_name(rtype.name, record),
                        f"failure: {exc.status} {exc.scim_type or ''}".strip())
        raise
    activity.record(ctx, "create", rtype.name, record["id"], activity.display_name(rtype.name, record))
    resource = to_resource(ctx, rtype, record, projection, members) if projection is not None else None
    return Saved(resource, etag(record["meta"]["version"]), record["id"])


def _write(ctx: Context, rtype: ResourceType, rid: str, if_match: str | None,
           operation: str, build) -> tuple[dict, list[Member] | None]:
    """Read, build the new state, compare-and-swap; retry a lost race unless If-Match was sent."""
    for _ in range(CAS_RETRIES):
        old = load(ctx, rtype, rid)
        check_if_match(old, if_match)
        new, change = build(old)
        if new is None:          # nothing changed: no write, no new version
            return old, None
        try:
            if new is old:   # only membership changed: adds and removes commute, no CAS needed
                stored = ctx.backend.change_members(ctx.workspace, rid, change, {"lastModified": now_iso()})
            else:
                stored = ctx.backend.replace(ctx.workspace, rtype, new, old["meta"]["version"], change)
        except VersionConflict:
            if if_match is not None:
                raise PreconditionFailed("the resource changed while this request was processed") from None
            continue
        _record_change(ctx, rtype, operation, old, stored, change)
        members = change.replace_all if change is not None and change.replace_all is not None else None
        return stored, members
    raise PreconditionFailed(f"{rtype.name} {rid} is changing too fast; retry the request")


def _record_change(ctx, rtype, operation, old, new, change):
    name = activity.display_name(rtype.name, new)
    if rtype.name == "User" and old.get("active", True) != new.get("active", True):
        operation = "deactivate" if new.get("active") is False else "reactivate"
    detail = None
    if change is not None and not change.is_empty():
        parts = []
        if change.replace_all is not None:
            parts.append(f"members set to {len(change.replace_all)}")
        if change.add:
            parts.append(f"+{len(change.add)} members")
        if change.remove:
            parts.append(f"-{len(change.remove)} members")
        detail = ", ".join(parts)
    activity.record(ctx, operation, rtype.name, new["id"], name, detail=detail)


def _next_meta(old: dict) -> dict:
    return {**old["meta"], "lastModified": now_iso(), "version": old["meta"]["version"] + 1}


def replace(ctx: Context, rtype: ResourceType, rid: str, body, *, if_match: str | None = None,
            projection: Projection | None = DEFAULT) -> Saved:
    record, raw_members = normalize(body, rtype, ctx.limits)
    check_required(record, rtype)
    members = resolve_members(ctx, rid, _members_from_body(raw_members)) if rtype is GROUP_TYPE else None

    def build(old):
        check_immutable(old, record, rtype)
        new = {"id": old["id"], **record}
        if "password" in new:
            seal_password(new)
        elif "_password" in old:
            new["_password"] = old["_password"]   # clients cannot echo a write-only password
        if rtype.name == "User" and "active" not in new:
            new["active"] = old.get("active", True)   # PUT without active leaves it as it was
        new["meta"] = _next_meta(old)
        return new, MembershipChange(replace_all=members) if members is not None else None

    try:
        stored, _ = _write(ctx, rtype, rid, if_match, "replace", build)
    except ScimError as exc:
        _failed(ctx, "replace", rtype, rid, exc)
        raise
    resource = to_resource(ctx, rtype, stored, projection, members) if projection is not None else None
    return Saved(resource, etag(stored["meta"]["version"]), rid)


def patch(ctx: Context, rtype: ResourceType, rid: str, body, *, if_match: str | None = None,
          projection: Projection | None = DEFAULT) -> Saved:
    """Apply a PatchOp; the resource is None when ``projection`` is None (204 answers)."""
    engine = PatchEngine(rtype, ctx.limits)

    def build(old):
        result = engine.apply(old, body, current_members=lambda: ctx.backend.members(ctx.workspace, rid),
                              max_operations=ctx.config.max_patch_operations)
        if not result.changed:
            return None, None
        change = result.members
        if change.add:
            change.add = resolve_members(ctx, rid, change.add)
        if change.replace_all is not None:
            change.replace_all = resolve_members(ctx, rid, change.replace_all)
        if not result.record_changed:
            return old, change
        new = result.record
        seal_password(new)
        new["meta"] = _next_meta(old)
        return new, change

    try:
        stored, members = _write(ctx, rtype, rid, if_match, "patch", build)
    except ScimError as exc:
        _failed(ctx, "patch", rtype, rid, exc)
        raise
    version = etag(stored["meta"]["version"])
    if projection is None:
        return Saved(None, version, rid)
    return Saved(to_resource(ctx, rtype, stored, projection, members), version, rid)


def delete(ctx: Context, rtype: ResourceType, rid: str, *, if_match: str | None = None) -> None:
    for _ in range(CAS_RETRIES):
        old = load(ctx, rtype, rid)
        check_if_match(old, if_match)
        try:
            removed = ctx.backend.delete(ctx.workspace, rtype, rid, old["meta"]["version"])
        except VersionConflict:
            if if_match is not None:
                raise PreconditionFailed("the resource changed while this request was processed") from None
            continue
        if removed is None:
            raise NotFound(f"{rtype.name} {rid!r} not found")
        activity.record(ctx, "delete", rtype.name, rid, activity.display_name(rtype.name, removed))
        return
    raise PreconditionFailed(f"{rtype.name} {rid} is changing too fast; retry the request")


def _failed(ctx, operation, rtype, rid, exc: ScimError) -> None:
    if exc.status == 404:
        return  # nothing of this workspace was touched; not an activity
    activity.record(ctx, operation, rtype.name, rid, None, f"failure: {exc.status} {exc.scim_type or ''}".strip())
