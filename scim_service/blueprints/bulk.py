"""/Bulk (RFC 7644 §3.7): read the BulkRequest within maxPayloadSize, run it, answer the BulkResponse."""
from __future__ import annotations

from flask import Blueprint

from scim_service.bulk_messages import load_bulk_request
from scim_service.errors import PayloadTooLarge
from scim_service.service import bulk
from scim_service.web.context import scim_context
from scim_service.web.io import read_body, scim_response

bp = Blueprint("bulk", __name__)


@bp.post("/Bulk")
def run_bulk():
    ctx = scim_context()   # authenticate before reading up to maxPayloadSize bytes
    limits = ctx.config
    try:
        body = read_body(max_bytes=limits.bulk_max_payload_bytes)
    except PayloadTooLarge as exc:
        raise PayloadTooLarge(f"{exc.detail} (Bulk maxPayloadSize; see /ServiceProviderConfig)") from None
    request = load_bulk_request(body, limits.bulk_max_operations)
    return scim_response(bulk.execute(ctx, request))
