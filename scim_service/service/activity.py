"""Provisioning activity: every change appends a record that outlives the resource."""
from __future__ import annotations

import logging

from scim_service.service.context import Context, now_iso

log = logging.getLogger("scim_service.activity")


def record(ctx: Context, operation: str, rtype_name: str | None, resource_id: str | None,
           name: str | None, outcome: str = "success", detail: str | None = None) -> None:
    entry = {
        "workspace": ctx.workspace,
        "time": now_iso(),
        "token": ctx.token_id,
        "operation": operation,
        "resourceType": rtype_name,
        "resourceId": resource_id,
        "name": name,
        "outcome": outcome,
    }
    if detail:
        entry["detail"] = detail
    try:
        ctx.backend.record_activity(entry)
    except Exception:  # the audit trail must not turn a done change into a 500
        log.exception("could not record activity for %s %s", operation, resource_id)


def display_name(rtype_name: str, record: dict | None) -> str | None:
    if not record:
        return None
    return record.get("userName") if rtype_name == "User" else record.get("displayName")
