"""Shared fixtures: an app per test on every backend, clients for two workspaces.

Every behaviour test that takes ``client`` runs once per backend (memory and
mongodb-over-mongomock; a real MongoDB too when SCIM_TEST_MONGODB_URI is set).
"""
from __future__ import annotations

import importlib.util
import os
import uuid

import pytest

from scim_service import create_app
from tests.support import ScimClient

TOKEN_A, TOKEN_B = "token-workspace-a", "token-workspace-b"


def backend_params():
    params = ["memory"]
    if importlib.util.find_spec("mongomock") and os.path.exists(
            os.path.join(os.path.dirname(__file__), "..", "backends", "mongodb.py")):
        params.append("mongodb")
    if os.environ.get("SCIM_TEST_MONGODB_URI"):
        params.append("mongodb-real")
    return params


def backend_env(name: str) -> dict:
    env = {"SCIM_TOKENS": f"a:{TOKEN_A},b:{TOKEN_B}", "SCIM_LOG_LEVEL": "WARNING"}
    if name == "memory":
        env["SCIM_BACKEND"] = "memory"
    elif name == "mongodb":
        env.update(SCIM_BACKEND="mongodb", MONGODB_URI=f"mongomock://localhost/scim_{uuid.uuid4().hex[:8]}")
    else:
        base = os.environ["SCIM_TEST_MONGODB_URI"].rstrip("/")
        env.update(SCIM_BACKEND="mongodb", MONGODB_URI=f"{base}/scim_test_{uuid.uuid4().hex[:8]}")
    return env


@pytest.fixture(params=backend_params())
def backend_name(request):
    return request.param


@pytest.fixture
def app_env(backend_name):
    return backend_env(backend_name)


@pytest.fixture
def app(app_env):
    app = create_app(app_env)
    yield app
    app.extensions["scim_backend"].close()


@pytest.fixture
def client(app):
    """Workspace A's client. Paths like "/Users" are relative to /scim/v2."""
    return ScimClient(app.test_client(), TOKEN_A)


@pytest.fixture
def client_b(app):
    return ScimClient(app.test_client(), TOKEN_B)


@pytest.fixture
def anonymous(app):
    return ScimClient(app.test_client(), None)


