"""Discovery (RFC 7644 §4): /ServiceProviderConfig, /Schemas, /ResourceTypes, from the schema registry.

Answered with or without a token. ``/ServiceProviderConfig`` advertises only
what works: Bulk appears once its blueprint is registered.
"""
from __future__ import annotations

from flask import Blueprint, current_app

from scim_service.errors import Forbidden, NotFound
from scim_service.schema import RESOURCE_TYPES, SCHEMAS
from scim_service.service.search import LIST_URN
from scim_service.web.context import base_url
from scim_service.web.io import query_args, scim_response

bp = Blueprint("discovery", __name__)
DOCS = "https://github.com/scim-service/scim-service#readme"


def _no_filter():
    if "filter" in query_args():
        raise Forbidden("discovery endpoints do not take a filter (RFC 7644 §4)")


def _list(resources: list[dict]):
    return scim_response({"schemas": [LIST_URN], "totalResults": len(resources), "itemsPerPage": len(resources),
                          "startIndex": 1, "Resources": resources})


def service_provider_config(config, base: str, bulk: bool) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": DOCS,
        "patch": {"supported": True},
        "bulk": {"supported": bulk, "maxOperations": config.bulk_max_operations if bulk else 0,
                 "maxPayloadSize": config.bulk_max_payload_bytes if bulk else 0},
        "filter": {"supported": True, "maxResults": config.max_results},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "pagination": {  # RFC 9865
            "cursor": True, "index": True, "defaultPaginationMethod": "index",
            "defaultPageSize": config.default_count, "maxPageSize": config.max_results,
            "cursorTimeout": config.cursor_ttl_seconds,
        },
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "Bearer token",
            "description": "A workspace token sent as 'Authorization: Bearer <token>'.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750", "documentationUri": DOCS, "primary": True,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }


@bp.get("/ServiceProviderConfig")
def get_service_provider_config():
    _no_filter()
    config = current_app.config["SCIM"]
    return scim_response(service_provider_config(config, base_url(), "bulk" in current_app.blueprints))


def _schemas():
    base = base_url()
    return {s.id: s.to_scim(f"{base}/Schemas/{s.id}") for s in SCHEMAS.values()}


def _resource_types():
    base = base_url()
    return {t.name: t.to_scim(f"{base}/ResourceTypes/{t.name}") for t in RESOURCE_TYPES.values()}


def _one(found: dict, key: str, what: str, listing: str):
    for name, body in found.items():
        if name.lower() == key.lower():
            return scim_response(body)
    raise NotFound(f"no {what} {key!r}; GET {listing} lists them")


@bp.get("/Schemas")
def list_schemas():
    _no_filter()
    return _list(list(_schemas().values()))


@bp.get("/Schemas/<schema_id>")
def get_schema(schema_id):
    return _one(_schemas(), schema_id, "schema", "/Schemas")


@bp.get("/ResourceTypes")
def list_resource_types():
    _no_filter()
    return _list(list(_resource_types().values()))


@bp.get("/ResourceTypes/<name>")
def get_resource_type(name):
    return _one(_resource_types(), name, "resource type", "/ResourceTypes")
