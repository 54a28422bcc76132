"""A stored record as the SCIM resource a client sees (RFC 7643 §3.1 ``meta``, ETags)."""
from __future__ import annotations

from scim_service.schema import ResourceType


def etag(version: int) -> str:
    return f'W/"{version}"'


def parse_etag(value: str) -> int | None:
    """The version inside ``W/"7"`` or ``"7"``; None for anything else."""
    text = value.strip()
    if text.startswith(("W/", "w/")):
        text = text[2:]
    text = text.strip('"')
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def location(base_url: str, rtype: ResourceType, rid: str) -> str:
    return f"{base_url}{rtype.endpoint}/{rid}"


def render(record: dict, rtype: ResourceType, base_url: str, *,
           members: list[dict] | None = None, groups: list[dict] | None = None) -> dict:
    schemas = [rtype.schema.id]
    for ext in rtype.extensions:
        if ext.id in record:
            schemas.append(ext.id)
    out = {"schemas": schemas}
    for key, value in record.items():
        if key[0] != "_" and key != "meta":
            out[key] = value
    if members:
        out["members"] = members
    if groups:
        out["groups"] = groups
    meta = record["meta"]
    out["meta"] = {
        "resourceType": rtype.name,
        "created": meta["created"],
        "lastModified": meta["lastModified"],
        "location": location(base_url, rtype, record["id"]),
        "version": etag(meta["version"]),
    }
    return out


def member_json(base_url: str, member) -> dict:
    kind = member.type or "User"
    endpoint = "/Groups" if kind == "Group" else "/Users"
    return {"value": member.value, "$ref": f"{base_url}{endpoint}/{member.value}", "type": kind}


def group_ref_json(base_url: str, group: dict) -> dict:
    out = {"value": group["value"], "$ref": f"{base_url}/Groups/{group['value']}", "type": "direct"}
    if group.get("display"):
        out["display"] = group["display"]
    return out
