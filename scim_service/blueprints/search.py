"""POST /.search at the service root (RFC 7644 §3.4.3): Users and Groups in one query."""
from __future__ import annotations

from flask import Blueprint

from scim_service.errors import NotImplementedFeature
from scim_service.messages import search_params
from scim_service.schema import RESOURCE_TYPES
from scim_service.service import search
from scim_service.web.context import scim_context
from scim_service.web.io import read_body, scim_response

bp = Blueprint("search", __name__)


@bp.post("/.search")
def search_everything():
    ctx = scim_context()
    params = search_params(read_body(), from_body=True)
    return scim_response(search.search_all(ctx, list(RESOURCE_TYPES.values()), params))


@bp.route("/Me", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def me():
    scim_context()
    raise NotImplementedFeature("/Me is not offered: workspace tokens belong to an IdP, not to a user")
