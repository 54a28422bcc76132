"""The IdP replay suite (tests/idp) over HTTP, against a live ``scim-service serve`` on every backend.

The same scenario functions run in process in tests/idp; here each one gets a
fresh workspace of the live server, so its counts start from zero as they do
there.
"""
from __future__ import annotations

import inspect
import itertools

import pytest

from tests.conftest import TOKEN_A
from tests.idp import test_cross_cutting, test_entra, test_okta, test_onelogin
from tests.idp.replay import ReplayClient
from tests.live.conftest import REPLAY_WORKSPACES
from tests.live.http_client import HttpTestClient, LiveApp
from tests.support import ScimClient

SCENARIOS = [(name, fn) for module in (test_entra, test_okta, test_onelogin, test_cross_cutting)
             for name, fn in inspect.getmembers(module, inspect.isfunction)
             if name.startswith("test_") and fn.__module__ == module.__name__]
_workspaces = {}


def _fresh_token(backend: str) -> str:
    counter = _workspaces.setdefault(backend, itertools.count())
    index = next(counter)
    assert index < REPLAY_WORKSPACES, "raise REPLAY_WORKSPACES in tests/live/conftest.py"
    return f"replay-token-{index}"


@pytest.mark.parametrize("scenario", [fn for _, fn in SCENARIOS], ids=[name[5:] for name, _ in SCENARIOS])
def test_scenario_over_http(live_server, scenario):
    tokens = {TOKEN_A: _fresh_token(live_server.backend)}
    http = HttpTestClient(live_server.root_url, tokens)
    fixtures = {
        "idp": ReplayClient(http, TOKEN_A),
        "anonymous": ScimClient(http, None),
        "app": LiveApp(live_server.root_url, tokens),
    }
    scenario(**{name: fixtures[name] for name in inspect.signature(scenario).parameters})
