"""GET /admin/activity: the calling workspace's provisioning activity, newest first.

Authenticated with the workspace's bearer token, so an admin (or
``scim-service activity --url``) can read the trail of a server whose backend
lives in its own process. Outside /scim/v2: it is not a SCIM resource.
"""
from __future__ import annotations

from flask import Blueprint

from scim_service.errors import InvalidValue
from scim_service.web.context import scim_context
from scim_service.web.io import query_args, scim_response

bp = Blueprint("activity", __name__)
MAX_LIMIT = 1000


@bp.get("/admin/activity")
def list_activity():
    ctx = scim_context()
    raw = query_args().get("limit", "50")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidValue(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return scim_response({"workspace": ctx.workspace, "activity": ctx.backend.activity(ctx.workspace, int(raw))})
