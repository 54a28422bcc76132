"""Discovery (RFC 7644 §4), generated from the schema registry, open without a token."""
from __future__ import annotations

import pytest

from scim_service.schema import SCHEMAS
from tests.support import assert_scim_error


def _no_nulls(value):
    if isinstance(value, dict):
        return all(v is not None and _no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_nulls(v) for v in value)
    return True


def test_service_provider_config_advertises_what_works(anonymous):
    r = anonymous.get("/ServiceProviderConfig")
    assert r.status_code == 200 and r.content_type.startswith("application/scim+json")
    spc = r.get_json()
    assert spc["patch"]["supported"] is True
    assert spc["filter"] == {"supported": True, "maxResults": 1000}
    assert spc["sort"]["supported"] is True and spc["etag"]["supported"] is True
    assert spc["pagination"]["cursor"] is True and spc["pagination"]["index"] is True
    assert spc["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_bulk_is_advertised_exactly_when_its_endpoint_exists(app, anonymous):
    spc = anonymous.get("/ServiceProviderConfig").get_json()
    has_endpoint = "bulk" in app.blueprints
    assert spc["bulk"]["supported"] is has_endpoint
    if has_endpoint:
        assert spc["bulk"]["maxOperations"] == 100 and spc["bulk"]["maxPayloadSize"] == 1048576


def test_schemas_list_every_registry_schema(anonymous):
    body = anonymous.get("/Schemas").get_json()
    assert body["totalResults"] == 3
    by_id = {s["id"]: s for s in body["Resources"]}
    assert set(by_id) == set(SCHEMAS)
    user = by_id["urn:ietf:params:scim:schemas:core:2.0:User"]
    assert user["description"] == "User Account"
    attrs = {a["name"]: a for a in user["attributes"]}
    assert attrs["userName"]["uniqueness"] == "server" and attrs["userName"]["required"] is True
    assert attrs["password"]["returned"] == "never" and attrs["password"]["mutability"] == "writeOnly"
    assert attrs["groups"]["mutability"] == "readOnly"
    assert {s["name"] for s in attrs["emails"]["subAttributes"]} == {"value", "display", "type", "primary"}
    assert _no_nulls(body)


def test_schema_by_id_and_unknown_schema(anonymous):
    urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert anonymous.get(f"/Schemas/{urn}").get_json()["id"] == urn
    assert_scim_error(anonymous.get("/Schemas/urn:nope"), 404)


def test_resource_types(anonymous):
    body = anonymous.get("/ResourceTypes").get_json()
    assert [t["endpoint"] for t in body["Resources"]] == ["/Users", "/Groups"]
    user = anonymous.get("/ResourceTypes/User").get_json()
    assert user["schemaExtensions"] == [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                                         "required": False}]
    assert_scim_error(anonymous.get("/ResourceTypes/Printer"), 404)


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"])
def test_discovery_rejects_other_methods_and_filters(anonymous, path):
    r = anonymous.delete(path)
    assert_scim_error(r, 405)
    assert "GET" in r.headers["Allow"]
    assert_scim_error(anonymous.get(path + '?filter=id eq "x"'), 403)


def test_discovery_also_answers_with_a_token(client):
    assert client.get("/ServiceProviderConfig").status_code == 200


def test_unknown_route_is_a_scim_404(anonymous):
    assert_scim_error(anonymous.get("/scim/v2/Printers"), 404)
    assert_scim_error(anonymous.get("/nothing-here"), 404)


def test_me_is_not_implemented(client):
    assert_scim_error(client.get("/Me"), 501)
