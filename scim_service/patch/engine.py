"""RFC 7644 §3.5.2 PATCH: add, replace, remove, on a copy of the record.

The engine never writes: it returns the new record and the membership change,
and the service stores both with compare-and-swap, so a request is atomic: if
any operation fails, nothing changes. IdP quirks live in ``dialects``.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

from backends.base import Member, MembershipChange
from scim_service.errors import (
    InvalidFilter, InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget, PayloadTooLarge,
)
from scim_service.filters.ast import And, Compare, Filter, PatchPath
from scim_service.filters.bind import bind_patch_path, path_text
from scim_service.filters.evaluate import element_matches
from scim_service.filters.parser import parse_patch_path
from scim_service.patch import dialects
from scim_service.resources import (
    DEFAULT_LIMITS, Limits, check_required, coerce_attribute, coerce_scalar, is_empty, parse_members,
)
from scim_service.schema import Attribute, ResourceType
from scim_service.schema.attributes import COMPLEX, IMMUTABLE, READ_ONLY

PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class PatchResult:
    record: dict
    members: MembershipChange
    changed: bool


class _Members:
    """Member operations composed in request order into one MembershipChange."""

    def __init__(self, current: Callable[[], list[Member]]):
        self._current = current
        self.add: dict[str, Member] = {}
        self.remove: set[str] = set()
        self.replace_all: dict[str, Member] | None = None

    def do_add(self, members: list[Member]) -> None:
        for m in members:
            self.remove.discard(m.value)
            (self.replace_all if self.replace_all is not None else self.add)[m.value] = m

    def do_remove(self, ids) -> None:
        for rid in ids:
            self.add.pop(rid, None)
            if self.replace_all is not None:
                self.replace_all.pop(rid, None)
            else:
                self.remove.add(rid)

    def do_replace(self, members: list[Member]) -> None:
        self.replace_all = {m.value: m for m in members}
        self.add, self.remove = {}, set()

    def select(self, flt: Filter, attr: Attribute) -> list[str]:
        """Ids of current members a value filter selects; ``value eq`` needs no read."""
        ids = _value_eq_ids(flt)
        if ids is not None:
            return ids
        return [m.value for m in self._current()
                if element_matches({"value": m.value, "type": m.type}, flt, attr)]

    def change(self) -> MembershipChange:
        return MembershipChange(
            add=list(self.add.values()), remove=set(self.remove),
            replace_all=list(self.replace_all.values()) if self.replace_all is not None else None)


def _value_eq_ids(flt: Filter) -> list[str] | None:
    if isinstance(flt, Compare) and flt.op == "eq" and flt.path.attr == "value" and isinstance(flt.value, str):
        return [flt.value]
    return None


def _eq_conditions(flt: Filter) -> dict | None:
    """``type eq "work" [and ...]`` as ``{"type": "work"}``: the element an add may create."""
    if isinstance(flt, Compare) and flt.op == "eq" and flt.value is not None:
        return {flt.path.attr: flt.value}
    if isinstance(flt, And):
        left, right = _eq_conditions(flt.left), _eq_conditions(flt.right)
        if left is not None and right is not None:
            return {**left, **right}
    return None


def read_operations(body, max_operations: int) -> list[dict]:
    if not isinstance(body, dict):
        raise InvalidSyntax("a PATCH body must be a JSON object with 'schemas' and 'Operations'")
    ops = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "operations"), None)
    if ops is None:
        ops = dialects.scim11_member_operations(body)
    if ops is None:
        raise InvalidSyntax(f"a PATCH body needs 'Operations', a list of operations (schemas: [\"{PATCH_URN}\"])")
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("'Operations' must be a non-empty list of operations")
    if len(ops) > max_operations:
        raise PayloadTooLarge(f"a PATCH may carry at most {max_operations} operations; got {len(ops)}")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or PATCH_URN not in schemas):
        raise InvalidSyntax(f"a PATCH body's 'schemas' must be [\"{PATCH_URN}\"]")
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise InvalidSyntax(f"Operations[{i}] must be an object with 'op', 'path' and 'value'")
    return ops


class PatchEngine:
    def __init__(self, rtype: ResourceType, limits: Limits = DEFAULT_LIMITS):
        self.rtype = rtype
        self.limits = limits

    def apply(self, record: dict, body, *, current_members: Callable[[], list[Member]] = list,
              max_operations: int = 1000) -> PatchResult:
        operations = read_operations(body, max_operations)
        new = copy.deepcopy(record)
        members = _Members(current_members)
        for index, raw in enumerate(operations):
            op = dialects.lower_keys(raw)
            name = dialects.op_name(op.get("op"), index)
            raw_path = op.get("path")
            if raw_path is not None and not isinstance(raw_path, str):
                raise InvalidPath(f"Operations[{index}].path must be a string")
            if raw_path is not None and raw_path.strip() == "":
                raw_path = None
            if name != "remove" and "value" not in op:
                raise InvalidValue(f"Operations[{index}] ({name}) needs a 'value'")
            value = op.get("value")
            if raw_path is None:
                self._pathless(new, members, name, value, index)
            else:
                self._with_path(new, members, name, self._bind(raw_path, index), value, index, raw_path)
        for ext in self.rtype.extensions:
            if ext.id in new and not new[ext.id]:
                del new[ext.id]
        check_required(new, self.rtype)
        change = members.change()
        return PatchResult(new, change, new != record or not change.is_empty())

    def _bind(self, raw_path: str, index: int) -> PatchPath:
        try:
            return bind_patch_path(parse_patch_path(raw_path), self.rtype)
        except (InvalidPath, InvalidFilter) as exc:
            raise InvalidPath(f"Operations[{index}].path {raw_path!r}: {exc.detail}") from None

    # --- dispatch ---------------------------------------------------------------
    def _pathless(self, new, members, name, value, index):
        if name == "remove":
            raise NoTarget(f"Operations[{index}]: remove needs a 'path' naming what to remove")
        if not isinstance(value, dict):
            raise InvalidValue(f"Operations[{index}]: without a 'path', 'value' must be an object of attributes")
        for key, item in dialects.expand_pathless(value, self.rtype):
            try:
                path = bind_patch_path(parse_patch_path(key), self.rtype)
            except (InvalidPath, InvalidFilter):
                continue  # unknown attributes are ignored, as in POST and PUT
            target = self._resolve(path)
            if target[0].mutability == READ_ONLY or (target[1] and target[1].mutability == READ_ONLY):
                continue  # read-only keys in a path-less value are ignored (Okta sends id)
            self._with_path(new, members, name, path, item, index, key)

    def _resolve(self, path: PatchPath) -> tuple[Attribute, Attribute | None]:
        found = self.rtype.resolve(path.path.attr, path.path.sub_attr, path.path.urn)
        sub = found.sub_attribute or (found.attribute.sub(path.sub_attr) if path.sub_attr else None)
        return found.attribute, sub

    def _with_path(self, new, members, name, path: PatchPath, value, index, raw_path):
        attr, sub = self._resolve(path)
        where = f"Operations[{index}] ({name} {raw_path!r})"
        if attr.name == "members" and self.rtype.name == "Group":
            return self._members(members, name, path, attr, value, where)
        if attr.mutability == READ_ONLY or (sub is not None and sub.mutability == READ_ONLY):
            raise Mutability(f"{where}: '{path_text(path.path)}' is read-only")
        holder = new.setdefault(path.path.urn, {}) if path.path.urn else new
        if path.value_filter is not None:
            self._filtered(holder, name, attr, path.value_filter, sub, value, where)
        elif sub is not None:
            self._sub(holder, name, attr, sub, value, where)
        else:
            self._whole(holder, name, attr, value, where)

    # --- plain attribute ------------------------------------------------------------
    def _whole(self, holder, name, attr: Attribute, value, where):
        if name == "remove":
            if value is not None and attr.multi_valued and not is_empty(value):
                # Remove the listed values only (the Entra/OneLogin members form, for any attribute).
                drop = coerce_attribute(attr, value, where, self.limits) or []
                keys = [_identity(e) for e in drop]
                kept = [e for e in holder.get(attr.name) or [] if _identity(e) not in keys]
                _set(holder, attr.name, kept)
            else:
                holder.pop(attr.name, None)
            return
        coerced = coerce_attribute(attr, value, where, self.limits)
        self._check_immutable(holder, attr, coerced, where)
        if coerced is None:
            holder.pop(attr.name, None)
        elif attr.multi_valued and name == "add":
            existing = holder.get(attr.name) or []
            merged = existing + [e for e in coerced if e not in existing]
            if any(isinstance(e, dict) and e.get("primary") is True for e in coerced):
                wanted = next(e for e in reversed(coerced) if isinstance(e, dict) and e.get("primary") is True)
                _single_primary(merged, next(e for e in merged if e == wanted))
            if len(merged) > self.limits.max_multi_values:
                raise InvalidValue(f"{where}: '{attr.name}' would have more than {self.limits.max_multi_values} values")
            holder[attr.name] = merged
        elif attr.type == COMPLEX and not attr.multi_valued:
            # add and replace on a complex attribute merge sub-attributes (RFC 7644 §3.5.2.1, .3)
            holder[attr.name] = {**(holder.get(attr.name) or {}), **coerced}
        else:
            holder[attr.name] = coerced

    def _check_immutable(self, holder, attr: Attribute, coerced, where):
        if attr.mutability == IMMUTABLE and holder.get(attr.name) is not None and holder.get(attr.name) != coerced:
            raise Mutability(f"{where}: '{attr.name}' is immutable and already has a value")

    # --- sub-attribute without a filter -------------------------------------------------
    def _sub(self, holder, name, attr: Attribute, sub: Attribute, value, where):
        scalar = None if name == "remove" or is_empty(value) else coerce_scalar(sub, value, where, self.limits)
        if attr.multi_valued:
            elements = holder.get(attr.name) or []
            if scalar is None:
                for e in elements:
                    e.pop(sub.name, None)
                _set(holder, attr.name, [e for e in elements if e])
            elif elements:
                for e in elements:
                    e[sub.name] = scalar
            else:
                holder[attr.name] = [{sub.name: scalar}]
            return
        current = dict(holder.get(attr.name) or {})
        if scalar is None:
            current.pop(sub.name, None)
        else:
            current[sub.name] = scalar
        _set(holder, attr.name, current)

    # --- value filter: emails[type eq "work"](.value) ------------------------------------
    def _filtered(self, holder, name, attr: Attribute, flt: Filter, sub: Attribute | None, value, where):
        elements = holder.get(attr.name) or []
        matched = [e for e in elements if element_matches(e, flt, attr)]
        if name == "remove":
            if sub is not None:
                for e in matched:
                    e.pop(sub.name, None)
                elements = [e for e in elements if e]
            else:
                elements = [e for e in elements if not any(e is m for m in matched)]
            _set(holder, attr.name, elements)
            return
        if not matched:
            # Entra sends add/replace on emails[type eq "work"].value before the element exists:
            # create it from the filter's equalities (idp-behaviors.md, "Value-filter paths").
            seed = _eq_conditions(flt)
            if seed is None:
                raise NoTarget(f"{where}: no value matches the filter, and the filter is not a set of "
                               f"'eq' conditions from which a new value could be made")
            if is_empty(value):
                return
            element = {**seed, **({sub.name: value} if sub is not None else _as_object(value, where))}
            created = coerce_attribute(attr, [element], where, self.limits) or []
            elements = elements + created
            if created and created[0].get("primary") is True:
                _single_primary(elements, created[0])
            if len(elements) > self.limits.max_multi_values:
                raise InvalidValue(f"{where}: '{attr.name}' would have more than {self.limits.max_multi_values} values")
            holder[attr.name] = elements
            return
        if sub is not None:
            scalar = None if is_empty(value) else coerce_scalar(sub, value, where, self.limits)
            for e in matched:
                if scalar is None:
                    e.pop(sub.name, None)
                else:
                    e[sub.name] = scalar
            if scalar is None and sub.name == "value":  # a value-less element means nothing
                elements = [e for e in elements if "value" in e or not any(e is m for m in matched)]
            elif scalar is True and sub.name == "primary":
                _single_primary(elements, matched[-1])
            _set(holder, attr.name, [e for e in elements if e])
            return
        replacement = coerce_attribute(attr, [_as_object(value, where)], where, self.limits) or []
        patch = replacement[0] if replacement else {}
        out = []
        for e in elements:
            if any(e is m for m in matched):
                e = {**e, **patch} if name == "add" else {**(_eq_conditions(flt) or {}), **patch}
            out.append(e)
        if patch.get("primary") is True:
            _single_primary(out, next(e for e in out if e.get("primary") is True))
        _set(holder, attr.name, out)

    # --- group members (a relation kept by the backend) --------------------------------------
    def _members(self, members: _Members, name, path: PatchPath, attr: Attribute, value, where):
        if path.path.sub_attr is not None or path.sub_attr is not None:
            raise InvalidPath(f"{where}: member sub-attributes are immutable; add or remove whole members")
        if path.value_filter is not None:
            if name != "remove":
                raise InvalidPath(f"{where}: members cannot be changed through a filter; "
                                  f"add them with path 'members' or remove them by filter")
            members.do_remove(members.select(path.value_filter, attr))
            return
        if name == "remove":
            if is_empty(value):
                members.do_replace([])  # RFC: remove path=members without a value empties the group
            else:   # Entra's default and OneLogin: remove only the listed members
                members.do_remove([m["value"] for m in parse_members(value, self.limits)])
            return
        listed = [Member(m["value"], m["type"]) for m in parse_members(value, self.limits)]
        if name == "add":
            members.do_add(listed)
        else:
            members.do_replace(listed)


def _identity(element):
    if isinstance(element, dict) and "value" in element:
        v = element["value"]
        return v.casefold() if isinstance(v, str) else v
    return element


def _as_object(value, where) -> dict:
    if not isinstance(value, dict):
        raise InvalidValue(f"{where}: the value must be an object of sub-attributes")
    return value


def _set(holder: dict, key: str, value) -> None:
    if is_empty(value):
        holder.pop(key, None)
    else:
        holder[key] = value


def _single_primary(elements: list, winner: dict) -> None:
    """At most one value may be primary: setting a new primary clears the old one."""
    for e in elements:
        if e is not winner and isinstance(e, dict) and e.get("primary") is True:
            e.pop("primary")
