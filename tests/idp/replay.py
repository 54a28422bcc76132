"""Helpers for replaying IdP traffic (/work/shared/reference/idp-scenarios.md)."""
from __future__ import annotations

import uuid

from tests.support import SCIM_JSON, ScimClient

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class ReplayClient(ScimClient):
    """A ScimClient that checks the rule every IdP relies on: every answer, errors and
    204s included, is ``application/scim+json`` (idp-scenarios.md, Conventions)."""

    def request(self, method, path, json=None, headers=None, **kw):
        response = super().request(method, path, json=json, headers=headers, **kw)
        assert response.content_type.startswith(SCIM_JSON), (method, path, response.content_type)
        return response


def guid() -> str:
    return str(uuid.uuid4())


def assert_list(response, total: int, length: int | None = None) -> dict:
    """``ListResponse(n)``: 200, integer paging fields, ``Resources`` always present."""
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["schemas"] == [LIST_URN]
    for key in ("totalResults", "startIndex", "itemsPerPage"):
        assert type(body[key]) is int, (key, body[key])
    assert body["totalResults"] == total, body
    assert len(body["Resources"]) == (total if length is None else length)
    assert body["itemsPerPage"] == len(body["Resources"])
    return body


def member_ids(client, gid: str) -> list[str]:
    """A group's member ids as the server lists them (duplicates kept, to catch them)."""
    r = client.get(f"/Groups/{gid}")
    assert r.status_code == 200, r.get_data(as_text=True)
    return sorted(m["value"] for m in r.get_json().get("members", []))


def assert_no_nulls(value, where="resource") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            assert v is not None, f"{where}.{k} is null"
            assert_no_nulls(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_no_nulls(v, f"{where}[{i}]")
