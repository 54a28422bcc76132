"""The storage interface every backend implements. No Flask here.

A backend stores resources as canonical SCIM dicts (``scim_service.resources``
normalises them), keeps group membership as its own relation, enforces
per-workspace uniqueness of the attributes the schema marks ``uniqueness:
server`` (case-folded when ``caseExact`` is false), and answers queries given
as a filter AST bound to the schema registry. Every call names the workspace;
no call can reach another workspace's data.

A record is ``{"id": ..., <SCIM attributes>, "meta": {"created": iso,
"lastModified": iso, "version": int}}``; ``members`` and ``groups`` are never
stored in it.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Iterable

from scim_service.filters.ast import Filter
from scim_service.schema import ResourceType


@dataclass(frozen=True)
class SortKey:
    attr: str
    sub_attr: str | None = None
    urn: str | None = None
    descending: bool = False


@dataclass(frozen=True)
class Query:
    """A bound filter plus ordering and one page (index or cursor)."""

    filter: Filter | None = None
    sort: SortKey | None = None
    start_index: int = 1            # 1-based, index paging
    count: int = 100
    after: tuple | None = None      # cursor paging: the position key of the last row seen
    before: tuple | None = None     # cursor paging backwards (previousCursor)


@dataclass
class Page:
    total: int
    records: list[dict]
    # Position keys (opaque to the service) of the first and last record, for cursors.
    first_key: tuple | None = None
    last_key: tuple | None = None
    has_more: bool = False
    has_previous: bool = False


@dataclass(frozen=True)
class Member:
    value: str
    type: str = "User"


@dataclass
class MembershipChange:
    """What a PATCH or PUT does to a group's members, applied atomically with the resource."""

    add: list[Member] = field(default_factory=list)
    remove: set[str] = field(default_factory=set)
    replace_all: list[Member] | None = None   # set the whole list (PUT, replace path=members)

    def is_empty(self) -> bool:
        return not self.add and not self.remove and self.replace_all is None


class Backend(abc.ABC):
    """Storage for workspaces: resources, membership, tokens and the activity log."""

    name = "abstract"
    #: True when data lives in this process only: gunicorn must then run one worker.
    single_process = False

    # --- tokens ---------------------------------------------------------------
    @abc.abstractmethod
    def set_token(self, workspace: str, token_hash: str, token_id: str) -> None:
        """Make ``token_hash`` the workspace's only valid token (the old one stops working)."""

    @abc.abstractmethod
    def find_token(self, token_hash: str) -> tuple[str, str, str] | None:
        """(workspace, token_id, stored_hash) for a token hash, or None."""

    @abc.abstractmethod
    def has_tokens(self) -> bool:
        ...

    # --- resources --------------------------------------------------------------
    @abc.abstractmethod
    def create(self, workspace: str, rtype: ResourceType, record: dict,
               members: list[Member] | None = None) -> dict:
        """Insert; raises ``Uniqueness`` on a duplicate unique value."""

    @abc.abstractmethod
    def get(self, workspace: str, rtype: ResourceType, rid: str) -> dict | None:
        ...

    @abc.abstractmethod
    def replace(self, workspace: str, rtype: ResourceType, record: dict, expected_version: int,
                members: MembershipChange | None = None) -> dict:
        """Compare-and-swap on ``meta.version``: raises ``VersionConflict`` when the stored
        version is not ``expected_version``, ``NotFound`` when gone, ``Uniqueness`` on duplicates."""

    @abc.abstractmethod
    def delete(self, workspace: str, rtype: ResourceType, rid: str,
               expected_version: int | None = None) -> dict | None:
        """Remove the resource and every membership naming it; returns what was removed."""

    @abc.abstractmethod
    def search(self, workspace: str, rtype: ResourceType, query: Query) -> Page:
        ...

    # --- membership ---------------------------------------------------------------
    @abc.abstractmethod
    def change_members(self, workspace: str, group_id: str, change: MembershipChange,
                       meta: dict) -> dict:
        """Apply a membership change and set the group's ``meta`` (version + 1) atomically,
        whatever the version was: member adds and removes commute. Raises ``NotFound``."""

    @abc.abstractmethod
    def members(self, workspace: str, group_id: str) -> list[Member]:
        ...

    @abc.abstractmethod
    def groups_of(self, workspace: str, user_id: str) -> list[dict]:
        """The groups a user belongs to, as ``{"value": gid, "display": displayName}``."""

    @abc.abstractmethod
    def existing_ids(self, workspace: str, ids: Iterable[str]) -> dict[str, str]:
        """Which of ``ids`` exist in the workspace, mapped to their resource type name."""

    # --- activity -----------------------------------------------------------------
    @abc.abstractmethod
    def record_activity(self, entry: dict[str, Any]) -> None:
        ...

    @abc.abstractmethod
    def activity(self, workspace: str, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first."""

    # --- lifecycle ------------------------------------------------------------------
    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass
