"""Okta's "SCIM 2.0 SPEC Test" (OIN submission, Runscope/BlazeMeter export) against the live server.

Transcribed from ``Okta-SCIM-20-SPEC-Test.json`` and ``Initial_Script_Spec.txt``
(okta/okta-developer-docs, ``.vuepress/public/standards/SCIM/SCIMFiles``), as
summarised in shared/reference/idp-behaviors.md §3.7. Same requests, headers
and assertions, without the 5-10 s pauses.

The scenario runs in workspace ws2 (``live_server.other_token``): the other live
tests create users only in ws1, so step 1 (``GET /Users?count=1``, which checks
the *first* user's profile) sees only the users this scenario creates.

All twelve steps are run even when one fails (a step whose saved variable is
missing is reported as not run); the test then fails listing every failing step.
"""

from __future__ import annotations

import random
import string
import uuid

from . import helpers
from .helpers import (
    ERROR_SCHEMA,
    LIST_RESPONSE_SCHEMA,
    USER_SCHEMA,
    build_query,
    scim_request,
)

USER_AGENT = "OKTA SCIM Integration"
INVALID_USER_EMAIL = "abcdefgh@atko.com"
USER_ID_THAT_DOES_NOT_EXIST = "010101001010101011001010101011"
GROUPS_MAX_RESPONSE_SECONDS = 0.600


def _okta_headers(auth: str) -> dict[str, str]:
    """Headers of the SPEC test's GET steps."""
    return {
        "Accept-Charset": "utf-8",
        "Content-Type": "application/scim+json; charset=utf-8",
        "Accept": "application/scim+json",
        "Authorization": auth,
        "User-Agent": USER_AGENT,
    }


def _post_headers(auth: str) -> dict[str, str]:
    """Headers of the SPEC test's POST steps (note: plain application/json)."""
    return {
        "Content-Type": "application/json",
        "Authorization": auth,
        "Accept": "application/scim+json; charset=utf-8",
    }


def _random_variables() -> dict[str, str]:
    """Port of Initial_Script_Spec.txt."""
    first = "Runscope" + "".join(random.choices(string.digits, k=3))
    last = (
        random.choice(string.ascii_uppercase)
        + "".join(random.choices(string.ascii_lowercase, k=8))
        + "".join(random.choices(string.digits, k=3))
    )
    email = f"{first}{last}@atko.com"
    return {
        "randomGivenName": first,
        "randomFamilyName": last,
        "randomEmail": email,
        "randomUsername": email,
        "randomUsernameCaps": email.upper(),
    }


def _prop(data, path: str):
    """Resolve a Runscope property path like ``Resources[0].name.givenName``; KeyError if absent."""
    current = data
    for part in path.replace("]", "").split("."):
        name, _, index = part.partition("[")
        if name:
            if not isinstance(current, dict) or name not in current:
                raise KeyError(path)
            current = current[name]
        if index:
            if not isinstance(current, list) or int(index) >= len(current):
                raise KeyError(path)
            current = current[int(index)]
    return current


def _not_empty(data, path: str) -> None:
    try:
        value = _prop(data, path)
    except KeyError:
        raise AssertionError(f"{path} is missing") from None
    assert value is not None and value != "" and value != [] and value != {}, (
        f"{path} is empty: {value!r}"
    )


def _equal(data, path: str, expected) -> None:
    try:
        value = _prop(data, path)
    except KeyError:
        raise AssertionError(f"{path} is missing (expected {expected!r})") from None
    assert value == expected, f"{path} is {value!r}, expected {expected!r}"


def _is_a_number(data, path: str) -> None:
    try:
        value = _prop(data, path)
    except KeyError:
        raise AssertionError(f"{path} is missing") from None
    assert isinstance(value, int) and not isinstance(value, bool), (
        f"{path} must be a JSON number, got {value!r}"
    )


def _has_value(data, path: str, value: str) -> None:
    try:
        container = _prop(data, path)
    except KeyError:
        raise AssertionError(f"{path} is missing (expected to hold {value!r})") from None
    assert isinstance(container, list) and value in container, (
        f"{path} must contain {value!r}, got {container!r}"
    )


def _status(actual: int, expected: int, data) -> None:
    assert actual == expected, f"HTTP status {actual}, expected {expected}; body: {data!r}"


def _filter_path(user_name: str) -> str:
    return "/Users?" + build_query({"filter": f'userName eq "{user_name}"'})


class _Prerequisite(Exception):
    """A variable an earlier step should have saved is missing."""


class _Scenario:
    def __init__(self, server):
        self.server = server
        self.auth = f"Bearer {server.other_token}"
        self.vars: dict[str, str] = _random_variables()

    def need(self, name: str) -> str:
        if name not in self.vars:
            raise _Prerequisite(name)
        return self.vars[name]

    def get(self, path: str, auth: str | None = None):
        return scim_request(
            self.server, "GET", path, token=None, headers=_okta_headers(auth or self.auth)
        )

    def post_user(self, body: dict):
        return scim_request(
            self.server, "POST", "/Users", body=body, token=None, headers=_post_headers(self.auth)
        )

    # -- precondition -----------------------------------------------------------------
    def seed_existing_user(self) -> None:
        """SPEC-test precondition: "at least one user already exists" in the app."""
        suffix = uuid.uuid4().hex[:8]
        body = {
            "schemas": [USER_SCHEMA],
            "userName": f"existing.{suffix}@atko.com",
            "name": {"givenName": "Existing", "familyName": f"User{suffix}"},
            "emails": [{"primary": True, "value": f"existing.{suffix}@atko.com", "type": "work"}],
            "displayName": f"Existing User{suffix}",
            "active": True,
        }
        status, _, data = self.post_user(body)
        assert status == 201, f"precondition: creating a seed user failed: {status} {data!r}"

    # -- steps ---------------------------------------------------------------------------
    def step_01_users_endpoint(self):
        """Required Test: Test Users endpoint"""
        status, _, data = self.get("/Users?count=1&startIndex=1")
        _status(status, 200, data)
        _not_empty(data, "Resources")
        _has_value(data, "schemas", LIST_RESPONSE_SCHEMA)
        _is_a_number(data, "itemsPerPage")
        _is_a_number(data, "startIndex")
        _is_a_number(data, "totalResults")
        for path in (
            "Resources[0].id",
            "Resources[0].name.familyName",
            "Resources[0].name.givenName",
            "Resources[0].userName",
            "Resources[0].active",
            "Resources[0].emails[0].value",
        ):
            _not_empty(data, path)
        self.vars["ISVUserid"] = data["Resources"][0]["id"]

    def step_02_get_user_by_id(self):
        """Required Test: Get Users/{{id}}"""
        user_id = self.need("ISVUserid")
        status, _, data = self.get(f"/Users/{user_id}")
        _status(status, 200, data)
        for path in ("id", "name.familyName", "name.givenName", "userName", "active", "emails[0].value"):
            _not_empty(data, path)
        _equal(data, "id", user_id)

    def step_03_invalid_user_by_username(self):
        """Required Test: Test invalid User by username"""
        status, _, data = self.get(_filter_path(INVALID_USER_EMAIL))
        _status(status, 200, data)
        _has_value(data, "schemas", LIST_RESPONSE_SCHEMA)
        _equal(data, "totalResults", 0)

    def step_04_invalid_user_by_id(self):
        """Required Test: Test invalid User by ID"""
        status, _, data = self.get(f"/Users/{USER_ID_THAT_DOES_NOT_EXIST}")
        _status(status, 404, data)
        _not_empty(data, "detail")
        _has_value(data, "schemas", ERROR_SCHEMA)

    def step_05_random_user_does_not_exist(self):
        """Required Test: Make sure random user doesn't exist"""
        status, _, data = self.get(_filter_path(self.vars["randomEmail"]))
        _status(status, 200, data)
        _equal(data, "totalResults", 0)
        _has_value(data, "schemas", LIST_RESPONSE_SCHEMA)

    def _create_body(self, email_key: str) -> dict:
        v = self.vars
        return {
            "schemas": [USER_SCHEMA],
            "userName": v["randomUsername"],
            "name": {"givenName": v["randomGivenName"], "familyName": v["randomFamilyName"]},
            "emails": [{"primary": True, "value": v[email_key], "type": "work"}],
            "displayName": f"{v['randomGivenName']} {v['randomFamilyName']}",
            "active": True,
        }

    def step_06_create_user(self):
        """Required Test: Create Okta user with realistic values"""
        status, _, data = self.post_user(self._create_body("randomEmail"))
        _status(status, 201, data)
        # Runscope compares the string form ("true"); SCIM's `active` is a boolean.
        _equal(data, "active", True)
        _not_empty(data, "id")
        _equal(data, "name.familyName", self.vars["randomFamilyName"])
        _equal(data, "name.givenName", self.vars["randomGivenName"])
        _has_value(data, "schemas", USER_SCHEMA)
        _equal(data, "userName", self.vars["randomUsername"])
        self.vars["idUserOne"] = data["id"]
        try:
            self.vars["randomUserEmail"] = _prop(data, "emails[0].value")
        except KeyError:
            pass

    def step_07_verify_user_created(self):
        """Required Test: Verify that user was created"""
        user_id = self.need("idUserOne")
        status, _, data = self.get(f"/Users/{user_id}")
        _status(status, 200, data)
        _equal(data, "userName", self.vars["randomUsername"])
        _equal(data, "name.familyName", self.vars["randomFamilyName"])
        _equal(data, "name.givenName", self.vars["randomGivenName"])

    def step_08_recreate_user_conflict(self):
        """Required Test: Expect failure when recreating user with same values"""
        self.need("idUserOne")  # only meaningful once step 6 created the user
        # The SPEC test's body uses randomUsername as the email value here.
        status, _, data = self.post_user(self._create_body("randomUsername"))
        _status(status, 409, data)

    def step_09_username_case_sensitivity(self):
        """Required Test: Username Case Sensitivity Check"""
        status, _, data = self.get(_filter_path(self.vars["randomUsernameCaps"]))
        _status(status, 200, data)

    def step_10_groups_endpoint(self):
        """Optional Test: Verify Groups endpoint"""
        status, _, data = self.get("/Groups")
        elapsed = helpers.last_elapsed
        _status(status, 200, data)
        assert elapsed < GROUPS_MAX_RESPONSE_SECONDS, (
            f"GET /Groups took {elapsed * 1000:.0f} ms (SPEC test: < 600 ms)"
        )
        # Script: totalResults == 0 -> "No Groups found"; >= 1 -> Resources must be an array.
        assert isinstance(data, dict), f"GET /Groups body is not a JSON object: {data!r}"
        total = data.get("totalResults")
        if total != 0:
            assert isinstance(total, int) and total >= 1, f"totalResults is {total!r}"
            assert isinstance(data.get("Resources"), list), (
                f"Resources must be an array when totalResults >= 1: {data!r}"
            )

    def step_11_status_401(self):
        """Required Test: Check status 401"""
        status, _, data = self.get(_filter_path(self.vars["randomUsernameCaps"]), auth="non-token")
        _status(status, 401, data)
        _not_empty(data, "detail")
        _equal(data, "status", "401")
        _has_value(data, "schemas", ERROR_SCHEMA)

    def step_12_status_404(self):
        """Required Test: Check status 404"""
        status, _, data = self.get("/Users/00919288221112222")
        _status(status, 404, data)
        _not_empty(data, "detail")
        _equal(data, "status", "404")
        _has_value(data, "schemas", ERROR_SCHEMA)


STEPS = [name for name in dir(_Scenario) if name.startswith("step_")]


def test_okta_spec_scenario(live_server):
    scenario = _Scenario(live_server)
    scenario.seed_existing_user()

    outcomes: list[str] = []
    failed = False
    for name in sorted(STEPS):
        step = getattr(scenario, name)
        title = f"{name[5:7]}. {step.__doc__}"
        try:
            step()
        except _Prerequisite as missing:
            failed = True
            outcomes.append(f"NOT RUN {title} (needs {missing} from an earlier step)")
        except AssertionError as exc:
            failed = True
            outcomes.append(f"FAILED  {title}: {exc}")
        else:
            outcomes.append(f"passed  {title}")

    assert not failed, (
        f"Okta SPEC test on the {live_server.backend} backend "
        f"(variables {scenario.vars}):\n" + "\n".join(outcomes)
    )

