"""Run python-scim's RFC 7643/7644 conformance checker (scim2-tester) against the live server.

scim2-tester API (checked against scim2-tester 0.5.2 / scim2-client 0.13.2):

* ``scim2_tester.check_server(client, raise_exceptions=False, include_tags=None,
  exclude_tags=None, resource_types=None) -> list[CheckResult]``. It queries
  /ServiceProviderConfig, /ResourceTypes and /Schemas itself, registers what
  they describe on the client, then runs CRUD, attribute-query and PATCH checks
  for every discovered resource type, plus a random-URL (404) check. Calling
  ``client.discover()`` beforehand is not needed (and would hide discovery
  failures behind an exception instead of reporting them as results).
* ``CheckResult`` has ``status``, ``title`` (checker function name), ``reason``,
  ``description``, ``data``, ``tags`` and ``resource_type``.
* ``Status``: SUCCESS, COMPLIANT, ACCEPTABLE (passing), DEVIATION (a SHOULD is
  not followed: reported, not failed), ERROR (a MUST is violated), CRITICAL
  (fundamental/security violation), SKIPPED (filtered out or prerequisite
  missing). With ``raise_exceptions=True`` the first ERROR/CRITICAL raises
  ``SCIMTesterError`` (or the underlying client exception) instead.
"""

from __future__ import annotations

import json
import warnings

import pytest

scim2_tester = pytest.importorskip("scim2_tester")

from scim2_tester import Status, check_server  # noqa: E402

# Older scim2-tester releases only have SUCCESS/ERROR/SKIPPED: look the others up softly.
FAILING_STATUSES = {getattr(Status, name, None) for name in ("ERROR", "CRITICAL")} - {None}
WARNING_STATUSES = {getattr(Status, "DEVIATION", None)} - {None}


def _make_client(base_url: str, token: str):
    """Build a scim2-client sync client for whichever HTTP engine is installed.

    scim2-client >= 0.13 ships ``engines.httpx2`` (the ``httpx2`` package, extra
    ``scim2-client[httpx2]``); older releases ship ``engines.httpx`` (``httpx``).
    """
    headers = {"Authorization": f"Bearer {token}"}
    try:
        import httpx2
        from scim2_client.engines.httpx2 import SyncSCIMClient

        http_client = httpx2.Client(base_url=base_url, headers=headers, timeout=30)
    except ImportError:
        try:
            import httpx
            from scim2_client.engines.httpx import SyncSCIMClient
        except ImportError:
            pytest.skip("no scim2-client HTTP engine: install 'scim2-tester[httpx2]'")
        http_client = httpx.Client(base_url=base_url, headers=headers, timeout=30)
    return http_client, SyncSCIMClient(http_client)


def _fmt(result) -> str:
    resource_type = getattr(result, "resource_type", None)
    where = f"[{resource_type}] " if resource_type else ""
    line = f"- {result.status.name} {where}{result.title}: {result.reason}"
    if result.data is not None:
        data = result.data
        if hasattr(data, "model_dump"):  # scim2-models objects
            try:
                data = data.model_dump(mode="json", exclude_none=True)
            except Exception:  # noqa: BLE001 - best effort, for display only
                data = repr(data)
        try:
            data = json.dumps(data, default=str)
        except (TypeError, ValueError):
            data = repr(result.data)
        if len(data) > 800:
            data = data[:800] + "…"
        line += f"\n    data: {data}"
    return line


def test_scim2_tester_reports_no_failure(live_server):
    http_client, client = _make_client(live_server.base_url, live_server.token)
    try:
        results = check_server(client, raise_exceptions=False)
    finally:
        http_client.close()

    failures = [r for r in results if r.status in FAILING_STATUSES]
    deviations = [r for r in results if r.status in WARNING_STATUSES]
    for result in deviations:
        warnings.warn(f"scim2-tester deviation: {_fmt(result)}", stacklevel=1)

    summary = {}
    for r in results:
        summary[r.status.name] = summary.get(r.status.name, 0) + 1

    if failures:
        pytest.fail(
            f"scim2-tester reported {len(failures)} failing check(s) out of {len(results)} "
            f"({summary}) on the {live_server.backend} backend:\n"
            + "\n".join(_fmt(r) for r in failures),
            pytrace=False,
        )

    # Guard against a silent early return (e.g. discovery published no usable
    # ServiceProviderConfig): the per-resource checks must actually have run.
    checked_types = {
        getattr(r, "resource_type", None) for r in results if r.status is not Status.SKIPPED
    }
    if not {"User", "Group"} <= checked_types:
        pytest.fail(
            f"scim2-tester did not run resource checks for User and Group "
            f"(ran for {sorted(t for t in checked_types if t)}); results: {summary}\n"
            + "\n".join(_fmt(r) for r in results),
            pytrace=False,
        )
