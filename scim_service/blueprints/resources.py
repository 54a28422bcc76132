"""The views shared by /Users and /Groups: thin, each a call into the service layer."""
from __future__ import annotations

from flask import Blueprint, request

from scim_service.messages import search_params
from scim_service.projection import DEFAULT, parse_projection
from scim_service.representation import etag, location
from scim_service.schema import ResourceType
from scim_service.service import crud, search
from scim_service.web.context import scim_context
from scim_service.web.io import query_args, read_body, scim_response


def _projection(rtype: ResourceType):
    if not request.environ.get("QUERY_STRING"):
        return DEFAULT
    args = query_args()
    return parse_projection(rtype, args.get("attributes"), args.get("excludedAttributes"))


def _asks_for_attributes() -> bool:
    args = query_args()
    return "attributes" in args or "excludedAttributes" in args


def _one(resource: dict, version: str, status: int = 200, headers: dict | None = None):
    return scim_response(resource, status, {"ETag": version, **(headers or {})})


def resource_blueprint(name: str, rtype: ResourceType, *, patch_returns_body: bool) -> Blueprint:
    bp = Blueprint(name, __name__)
    endpoint = rtype.endpoint

    @bp.get(endpoint)
    def list_resources():
        ctx = scim_context()
        return scim_response(search.search(ctx, rtype, search_params(query_args(), from_body=False)))

    @bp.post(f"{endpoint}/.search")
    def search_resources():
        ctx = scim_context()
        return scim_response(search.search(ctx, rtype, search_params(read_body(), from_body=True)))

    @bp.post(endpoint)
    def create():
        ctx = scim_context()
        saved = crud.create(ctx, rtype, read_body(), _projection(rtype))
        return _one(saved.resource, saved.etag, 201, {"Location": location(ctx.base_url, rtype, saved.resource["id"])})

    @bp.get(f"{endpoint}/<rid>")
    def get(rid):
        ctx = scim_context()
        record = crud.load(ctx, rtype, rid)
        if request.environ.get("HTTP_IF_NONE_MATCH") and \
                request.if_none_match.contains_weak(str(record["meta"]["version"])):
            return scim_response(None, 304, {"ETag": etag(record["meta"]["version"])})
        return _one(crud.to_resource(ctx, rtype, record, _projection(rtype)), etag(record["meta"]["version"]))

    @bp.put(f"{endpoint}/<rid>")
    def replace(rid):
        ctx = scim_context()
        saved = crud.replace(ctx, rtype, rid, read_body(), if_match=request.environ.get("HTTP_IF_MATCH"),
                             projection=_projection(rtype))
        return _one(saved.resource, saved.etag)

    @bp.patch(f"{endpoint}/<rid>")
    def patch(rid):
        ctx = scim_context()
        wants_body = patch_returns_body or _asks_for_attributes()
        saved = crud.patch(ctx, rtype, rid, read_body(), if_match=request.environ.get("HTTP_IF_MATCH"),
                           projection=_projection(rtype) if wants_body else None)
        if saved.resource is None:
            return scim_response(None, 204, {"ETag": saved.etag})
        return _one(saved.resource, saved.etag)

    @bp.delete(f"{endpoint}/<rid>")
    def delete(rid):
        ctx = scim_context()
        crud.delete(ctx, rtype, rid, if_match=request.environ.get("HTTP_IF_MATCH"))
        return scim_response(None, 204)

    return bp
