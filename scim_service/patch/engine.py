"""RFC 7644 §3.5.2 PATCH: add, replace, remove, on a copy of the record.

The engine never writes: it returns the new record and the membership change,
and the service stores both with compare-and-swap, so a request is atomic: if
any operation fails, nothing changes. IdP quirks live in ``dialects``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from backends.base import Member, MembershipChange
from scim_service.errors import (
    InvalidFilter, InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget, PayloadTooLarge,
)
from scim_service.filters.ast import Compare, Filter, PatchPath
from scim_service.filters.bind import bind_patch_path
from scim_service.filters.evaluate import element_matches
from scim_service.filters.parser import parse_patch_path
from scim_service.patch import dialects
from scim_service.resources import (
    DEFAULT_LIMITS, Limits, check_required, coerce_attribute, coerce_scalar, is_empty, parse_members,
)
from scim_service.schema import Attribute, ResourceType
from scim_service.schema.attributes import COMPLEX, IMMUTABLE, READ_ONLY

def clone(value):
    """A copy of JSON-shaped data (dicts, lists, scalars): several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class PatchResult:
    record: dict
    members: MembershipChange
    record_changed: bool

    @property
    def changed(self) -> bool:
        return self.record_changed or not self.members.is_empty()


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
        if isinstance(flt, Compare) and flt.op == "eq" and flt.path.attr == "value" and isinstance(flt.value, str):
            return [flt.value]
        return [m.value for m in self._current()
                if element_matches({"value": m.value, "type": m.type}, flt, attr)]

    def change(self) -> MembershipChange:
        return MembershipChange(
            add=list(self.add.values()), remove=set(self.remove),
            replace_all=list(self.replace_all.values()) if self.replace_all is not None else None)


def read_operations(body, max_operations: int) -> list[dict]:
    if not isinstance(body, dict):
        raise InvalidSyntax("a PATCH body must be a JSON object with 'schemas' and 'Operations'")
    ops = body.get("Operations")
    if ops is None:   # some clients send "operations"
        ops = next((v for k, v in body.items() if isinstance(k, str) and k.lower() == "operations"), None)
    if ops is None:
        ops = dialects.scim11_member_operations(body)
        if ops is None:
            raise InvalidSyntax(f"a PATCH body needs 'Operations', a list of operations "
                                f"(schemas: [\"{PATCH_URN}\"])")
    else:
        schemas = body.get("schemas")
        if schemas is not None and (not isinstance(schemas, list) or PATCH_URN not in schemas):
            raise InvalidSyntax(f"a PATCH body's 'schemas' must be [\"{PATCH_URN}\"]")
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("'Operations' must be a non-empty list of operations")
    if len(ops) > max_operations:
        raise PayloadTooLarge(f"a PATCH may carry at most {max_operations} operations; got {len(ops)}")
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
        """The patched copy of ``record``; ``record`` itself is never modified.

        The copy is shallow: an attribute is deep-copied when an operation first
        touches it (``_writable``), so the stored record shares what did not change.
        """
        new = dict(record)
        members = _Members(current_members)
        for index, raw in enumerate(read_operations(body, max_operations)):
            self._operation(new, record, members, dialects.lower_keys(raw), index)
        for ext in self.rtype.extensions:
            if ext.id in new and not new[ext.id]:
                del new[ext.id]
        check_required(new, self.rtype)
        change = members.change()
        return PatchResult(new, change, new != record)

    def _operation(self, new: dict, original: dict, members: _Members, op: dict, index: int) -> None:
        name = dialects.op_name(op.get("op"), index)
        raw_path = op.get("path")
        if raw_path is not None and not isinstance(raw_path, str):
            raise InvalidPath(f"Operations[{index}].path must be a string such as 'emails[type eq \"work\"].value'")
        if name != "remove" and "value" not in op:
            raise InvalidValue(f"Operations[{index}] ({name}) needs a 'value'")
        if raw_path is None or not raw_path.strip():
            self._pathless(new, original, members, name, op.get("value"), index)
            return
        extension = self.rtype.schema_by_urn(raw_path.strip())
        if extension is not None and extension is not self.rtype.schema:
            # The extension's URN as the path names the whole extension object.
            if name == "remove":
                new.pop(extension.id, None)
            elif isinstance(op.get("value"), dict):
                self._pathless(new, original, members, name, {extension.id: op["value"]}, index)
            else:
                raise InvalidValue(f"Operations[{index}]: a path naming the extension {extension.id} "
                                   "needs an object of its attributes as the value")
            return
        try:
            path = bind_patch_path(parse_patch_path(raw_path), self.rtype)
        except (InvalidPath, InvalidFilter) as exc:
            raise InvalidPath(f"Operations[{index}].path {raw_path!r}: {exc.detail}") from None
        self._with_path(new, original, members, name, path, op.get("value"),
                        f"Operations[{index}] ({name} {raw_path})")

    def _pathless(self, new, original, members, name, value, index):
        """No path: the value's keys name the attributes (RFC 7644 §3.5.2.1, §3.5.2.3)."""
        if name == "remove":
            raise NoTarget(f"Operations[{index}]: remove needs a 'path' naming what to remove")
        if not isinstance(value, dict):
            raise InvalidValue(f"Operations[{index}]: without a 'path', 'value' must be an object of attributes")
        for key, item in dialects.expand_pathless(value, self.rtype):
            try:
                path = bind_patch_path(parse_patch_path(key), self.rtype)
            except (InvalidPath, InvalidFilter):
                continue  # unknown attributes are ignored, as in POST and PUT
            attr, sub = self._resolve(path)
            if READ_ONLY in (attr.mutability, sub and sub.mutability):
                continue  # read-only keys in a path-less value are ignored (Okta sends id)
            self._with_path(new, original, members, name, path, item, f"Operations[{index}] ({name} {key})")

    def _resolve(self, path: PatchPath) -> tuple[Attribute, Attribute | None]:
        found = self.rtype.resolve(path.path.attr, path.path.sub_attr, path.path.urn)
        sub = found.sub_attribute or (found.attribute.sub(path.sub_attr) if path.sub_attr else None)
        return found.attribute, sub

    def _with_path(self, new, original, members, name, path: PatchPath, value, where):
        attr, sub = self._resolve(path)
        if attr.name == "members" and self.rtype.name == "Group":
            return self._members(members, name, path, attr, value, where)
        if READ_ONLY in (attr.mutability, sub and sub.mutability):
            target = f"{attr.name}.{sub.name}" if sub else attr.name
            raise Mutability(f"{where}: '{target}' is read-only")
        holder = _writable(new, original, path.path.urn or attr.name, nested=bool(path.path.urn))
        before = clone(holder.get(attr.name)) if attr.mutability == IMMUTABLE else None
        if path.value_filter is not None:
            self._filtered(holder, name, attr, path.value_filter, sub, value, where)
        elif sub is not None:
            self._sub(holder, name, attr, sub, value, where)
        else:
            self._whole(holder, name, attr, value, where)
        if before is not None and holder.get(attr.name) != before:
            raise Mutability(f"{where}: '{attr.name}' is immutable: it already has a value, which may not change")

    # --- the whole attribute: path "title", "emails", "name" ---------------------------
    def _whole(self, holder, name, attr: Attribute, value, where):
        if name == "remove":
            listed = dialects.values_listed_for_removal(value) if attr.multi_valued else None
            if listed is None:
                holder.pop(attr.name, None)
            else:
                drop = [_identity(e) for e in coerce_attribute(attr, listed, where, self.limits) or []]
                _set(holder, attr.name, [e for e in holder.get(attr.name) or [] if _identity(e) not in drop])
            return
        coerced = coerce_attribute(attr, value, where, self.limits)
        if coerced is None:
            if not (attr.multi_valued and name == "add"):   # adding no values changes nothing
                holder.pop(attr.name, None)
        elif attr.multi_valued and name == "add":
            existing = holder.get(attr.name) or []
            merged = existing + [e for e in coerced if e not in existing]
            self._check_size(merged, attr, where)
            primary = next((e for e in reversed(coerced) if isinstance(e, dict) and e.get("primary") is True), None)
            if primary is not None:
                _single_primary(merged, next(e for e in merged if e == primary))
            holder[attr.name] = merged
        elif attr.type == COMPLEX and not attr.multi_valued:
            # add and replace on a complex attribute merge sub-attributes (RFC 7644 §3.5.2.1, .3)
            holder[attr.name] = {**(holder.get(attr.name) or {}), **coerced}
        else:
            holder[attr.name] = coerced

    # --- a sub-attribute without a filter: "name.givenName", "emails.display" --------------
    def _sub(self, holder, name, attr: Attribute, sub: Attribute, value, where):
        scalar = None if name == "remove" or is_empty(value) else coerce_scalar(sub, value, where, self.limits)
        if not attr.multi_valued:
            current = dict(holder.get(attr.name) or {})
            if scalar is None:
                current.pop(sub.name, None)
            else:
                current[sub.name] = scalar
            _set(holder, attr.name, current)
            return
        elements = holder.get(attr.name) or []
        if scalar is None:
            for e in elements:
                e.pop(sub.name, None)
            _set(holder, attr.name, _drop_emptied(elements, elements, sub))
        elif not elements:
            holder[attr.name] = [{sub.name: scalar}]
        elif scalar is True and sub.name == "primary" and len(elements) > 1:
            raise InvalidValue(f"{where}: only one of the {len(elements)} values may be primary; "
                               f"choose it with a filter, e.g. {attr.name}[type eq \"work\"].primary")
        else:
            for e in elements:
                e[sub.name] = scalar

    # --- a value filter: emails[type eq "work"], emails[type eq "work"].value ----------------
    def _filtered(self, holder, name, attr: Attribute, flt: Filter, sub: Attribute | None, value, where):
        elements = holder.get(attr.name) or []
        matched = [e for e in elements if element_matches(e, flt, attr)]
        if name == "remove" or (name == "replace" and is_empty(value)):
            if sub is None:
                elements = [e for e in elements if not _is_in(e, matched)]
            else:
                for e in matched:
                    e.pop(sub.name, None)
                elements = _drop_emptied(elements, matched, sub)
            _set(holder, attr.name, elements)
        elif is_empty(value):
            return   # adding nothing changes nothing
        elif not matched:
            self._create_from_filter(holder, attr, flt, sub, value, where)
        elif sub is not None:
            scalar = coerce_scalar(sub, value, where, self.limits)
            for e in matched:
                e[sub.name] = scalar
            if scalar is True and sub.name == "primary":
                _single_primary(elements, matched[-1])
        else:
            replacement = coerce_attribute(attr, [_as_object(value, where)], where, self.limits) or [{}]
            kept = dialects.element_for_unmatched_filter(flt) or {}   # replace keeps what the filter selected by
            out = [({**e, **replacement[0]} if name == "add" else {**kept, **replacement[0]}) if _is_in(e, matched)
                   else e for e in elements]
            if replacement[0].get("primary") is True:
                _single_primary(out, [o for o, e in zip(out, elements) if _is_in(e, matched)][-1])
            holder[attr.name] = out

    def _create_from_filter(self, holder, attr: Attribute, flt: Filter, sub: Attribute | None, value, where):
        seed = dialects.element_for_unmatched_filter(flt)
        if seed is None:
            raise NoTarget(f"{where}: no value matches the filter, and the filter is not a set of "
                           f"'eq' conditions from which a new value could be made")
        element = {**seed, **({sub.name: value} if sub is not None else _as_object(value, where))}
        created = coerce_attribute(attr, [element], where, self.limits) or []
        elements = (holder.get(attr.name) or []) + created
        if created and created[0].get("primary") is True:
            _single_primary(elements, created[0])
        self._check_size(elements, attr, where)
        holder[attr.name] = elements

    def _check_size(self, elements: list, attr: Attribute, where: str) -> None:
        if len(elements) > self.limits.max_multi_values:
            raise InvalidValue(f"{where}: '{attr.name}' would have more than {self.limits.max_multi_values} values")

    # --- group members (a relation kept by the backend) --------------------------------------
    def _members(self, members: _Members, name, path: PatchPath, attr: Attribute, value, where):
        if path.path.sub_attr is not None or path.sub_attr is not None:
            raise Mutability(f"{where}: a member's sub-attributes cannot change; add or remove whole members")
        if path.value_filter is not None:
            if name != "remove":
                raise InvalidPath(f"{where}: members cannot be changed through a filter; "
                                  f"add them with path 'members' or remove them by filter")
            members.do_remove(members.select(path.value_filter, attr))
            return
        if name == "remove":
            listed = dialects.values_listed_for_removal(value)
            if listed is None:
                members.do_replace([])   # RFC: remove path=members without a value empties the group
            else:
                members.do_remove([m["value"] for m in parse_members(listed, self.limits)])
            return
        given = [Member(m["value"], m["type"]) for m in parse_members(value, self.limits)]
        if name == "add":
            members.do_add(given)
        else:
            members.do_replace(given)


def _writable(new: dict, original: dict, key: str, *, nested: bool) -> dict:
    """Copy-on-write: the holder of the attribute at ``key`` (``new``, or the extension object
    when ``nested``), with ``new[key]`` deep-copied the first time it is touched."""
    value = new.get(key)
    if value is not None and value is original.get(key) and isinstance(value, (dict, list)):
        value = new[key] = clone(value)
    if not nested:
        return new
    if value is None:
        value = new[key] = {}
    return value


def _identity(element):
    if isinstance(element, dict) and "value" in element:
        v = element["value"]
        return v.casefold() if isinstance(v, str) else v
    return element


def _is_in(element, elements: list) -> bool:
    return any(element is e for e in elements)


def _drop_emptied(elements: list, touched: list, sub: Attribute) -> list:
    """Elements left empty go; so do touched ones that lost their ``value`` (they mean nothing)."""
    return [e for e in elements if e and not (sub.name == "value" and _is_in(e, touched))]


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
