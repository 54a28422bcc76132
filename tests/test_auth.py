"""Workspace bearer tokens: hashed, one per workspace, every request scoped to its workspace."""
from __future__ import annotations

import pytest

from scim_service.auth import authenticate, hash_token, issue_token
from scim_service.errors import Unauthorized
from tests.support import assert_scim_error, make_user


@pytest.mark.parametrize("header", [None, "non-token", "Bearer", "Bearer wrong-token", "Basic dXNlcjpwYXNz"])
def test_missing_or_bad_token_is_401_with_www_authenticate(app, header):
    c = app.test_client()
    headers = {"Authorization": header} if header else {}
    r = c.get('/scim/v2/Users?filter=userName eq "x"', headers=headers)
    body = assert_scim_error(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert body["status"] == "401"


def test_tokens_are_stored_only_as_hashes(app):
    backend = app.extensions["scim_backend"]
    from tests.conftest import TOKEN_A
    assert backend.find_token(TOKEN_A) is None
    workspace, _, stored = backend.find_token(hash_token(TOKEN_A))
    assert workspace == "a" and stored == hash_token(TOKEN_A) and TOKEN_A not in stored


def test_generating_a_token_invalidates_the_previous_one(app, client):
    backend = app.extensions["scim_backend"]
    new = issue_token(backend, "a")
    assert new.startswith("scim_") and len(new) > 40
    assert_scim_error(client.get("/Users"), 401)
    assert authenticate(backend, f"Bearer {new}")[0] == "a"
    with pytest.raises(Unauthorized):
        authenticate(backend, f"Bearer {new}x")


def test_each_workspace_sees_only_its_own_data(client, client_b):
    user = make_user(client, "same-name")
    make_user(client_b, "same-name")                   # names are unique per workspace only
    assert_scim_error(client_b.get(f"/Users/{user['id']}"), 404)
    assert_scim_error(client_b.delete(f"/Users/{user['id']}"), 404)
    assert client_b.get('/Users?filter=userName eq "same-name"').get_json()["totalResults"] == 1
    assert client.get(f"/Users/{user['id']}").status_code == 200
