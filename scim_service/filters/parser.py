"""Parser and printer for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2).

One hand-written scanner + recursive-descent parser serves both grammars: a
PATCH path is ``attrPath [ "[" valFilter "]" [ "." subAttr ] ]`` and reuses the
filter's attribute-path and value-filter rules.

Shapes produced (see ``ast.py``):

* ``a or b or c`` -> ``Or(Or(a, b), c)`` (left-associative; same for ``and``);
  precedence is ``not`` > ``and`` > ``or``; parentheses leave no node behind.
* ``not (f)`` -> ``Not(f)``; ``not`` must be followed by a parenthesised filter.
* ``emails[type eq "work"].value eq "x"`` (non-RFC, sent by Entra) ->
  ``ValuePath(AttrPath("emails"), And(<type eq "work">, Compare(AttrPath("value"), "eq", "x")))``.
* ``urn:...:User:manager.value`` -> ``AttrPath("manager", "value", "urn:...:User")``:
  a name starting with ``urn:`` (any case) is split at its last ``:``.
* Operators and ``and``/``or``/``not``/``pr`` are case-insensitive and stored
  in lower case; attribute names keep their spelling.
* Values: JSON strings (JSON escapes), integers -> ``int``, fractions or
  exponents -> ``float``, ``true``/``false``/``null`` (any case) -> ``bool``/``None``.
  An unquoted token (up to whitespace, ``)`` or ``]``) that is none of these is
  taken as a string (``userName sw O``, ``meta.created gt 2015-10-10T14:38:21Z``).

Limits: at most ``MAX_FILTER_LENGTH`` characters; at most ``MAX_FILTER_DEPTH``
levels counted on the AST (each ``and``/``or``/``not`` node and each value
path is one level above its operands, so a chain of N terms joined by
``and``/``or`` is N levels deep); and at most ``MAX_FILTER_NESTING`` levels of
parentheses and brackets (redundant ones count too).

Errors raise ``InvalidFilter`` / ``InvalidPath`` whose detail says what is wrong
and at which 0-based character position.
"""
from __future__ import annotations

import functools
import json
import math
import re
from typing import NoReturn, Union

from ..errors import InvalidFilter, InvalidPath
from .ast import (
    COMPARISON_OPERATORS,
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
)

__all__ = [
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_NESTING",
    "MAX_FILTER_LENGTH",
    "parse_filter",
    "parse_patch_path",
    "to_string",
]

MAX_FILTER_LENGTH = 4096
MAX_FILTER_DEPTH = 256    # AST levels: a chain of N and/or terms is N levels
MAX_FILTER_NESTING = 32   # parentheses, brackets and not( ) inside one another

# Every pattern below is linear: single character classes, or the "unrolled
# loop" for strings whose alternatives start with disjoint characters.
_WS = re.compile(r"[ \t]*").match
# A word: keyword, operator or attribute path (stops at whitespace and punctuation).
_WORD = re.compile(r'[^ \t()\[\]"]+').match
# An unquoted value: runs to whitespace, ')' or ']'; cannot start with ( [ ".
_BARE = re.compile(r'[^ \t()\[\]"\x00-\x1f][^ \t)\]\x00-\x1f]*').match
# A JSON string without its closing quote; escapes are checked by json.loads.
_STRING = re.compile(r'"[^"\\\x00-\x1f]*(?:\\[^\x00-\x1f][^"\\\x00-\x1f]*)*').match
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?").fullmatch
_NAME = r"(?:[A-Za-z][A-Za-z0-9_-]*|\$[Rr][Ee][Ff])"
_NAME_FULL = re.compile(_NAME).fullmatch
_SIMPLE_PATH = re.compile(rf"({_NAME})(?:\.({_NAME}))?").fullmatch
_URN = re.compile(r"[Uu][Rr][Nn]:[A-Za-z0-9][A-Za-z0-9._:;=@!$*'+,/?#%~&-]*").fullmatch

_OPS = frozenset(COMPARISON_OPERATORS)
_OPS_HINT = "expected one of " + ", ".join(COMPARISON_OPERATORS) + ", pr"
_KEYWORDS = frozenset(("and", "or", "not"))
_EXCERPT = 160


def _short(token: str, limit: int = 40) -> str:
    """A token as quoted in an error detail (long ones are cut)."""
    return token if len(token) <= limit else token[:limit] + "..."


class _Parser:
    """Scanner and parser over one string; ``pos`` is the next unread character."""

    __slots__ = ("text", "n", "pos", "nest", "error", "kind")

    def __init__(self, text: str, error: type, kind: str):
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.nest = 0
        self.error = error
        self.kind = kind

    # -- errors --------------------------------------------------------------
    def err(self, message: str, pos: int = 0, hint: str = "") -> NoReturn:
        text = self.text
        if len(text) <= _EXCERPT:
            shown = text
        else:
            start = max(0, min(pos - _EXCERPT // 2, len(text) - _EXCERPT))
            shown = ("..." if start else "") + text[start:start + _EXCERPT] + (
                "..." if start + _EXCERPT < len(text) else "")
        raise self.error(f"{message} in {self.kind} '{shown}'" + (f"; {hint}" if hint else ""))

    def describe(self, pos: int) -> str:
        if pos >= self.n:
            return f"end of {self.kind}"
        m = _WORD(self.text, pos)
        return f"'{_short(m.group() if m else self.text[pos])}'"

    def expected(self, what: str, after: str | None, after_pos: int, pos: int) -> NoReturn:
        msg = f"expected {what}"
        if after is not None:
            msg += f" after '{_short(after)}' at position {after_pos}"
            if pos < self.n:
                msg += f", found {self.describe(pos)} at position {pos}"
        else:
            msg += f", found {self.describe(pos)} at position {pos}"
        self.err(msg, pos)

    def too_deep(self, pos: int) -> NoReturn:
        self.err(f"{self.kind} is nested more than {MAX_FILTER_DEPTH} levels deep at position {pos}", pos)

    # -- grammar -------------------------------------------------------------
    def expr(self, in_vp: bool, prev: str | None, prev_pos: int):
        """``or``/``and`` chains of unary terms; returns (node, depth).

        On return ``pos`` is at the first non-blank character not consumed.
        """
        text, n = self.text, self.n
        left, ld = self.unary(in_vp, prev, prev_pos)
        or_left = None
        od = 0
        or_pos = 0
        while True:
            pos = _WS(text, self.pos).end()
            self.pos = pos
            if pos >= n or text[pos] not in "aAoO":
                break
            m = _WORD(text, pos)
            word = m.group()
            kw = word.lower()
            if kw == "and":
                self.pos = m.end()
                right, rd = self.unary(in_vp, word, pos)
                ld = 1 + (ld if ld > rd else rd)
                if ld > MAX_FILTER_DEPTH:
                    self.too_deep(pos)
                left = And(left, right)
            elif kw == "or":
                self.pos = m.end()
                if or_left is None:
                    or_left, od = left, ld
                else:
                    od = 1 + (od if od > ld else ld)
                    if od > MAX_FILTER_DEPTH:
                        self.too_deep(or_pos)
                    or_left = Or(or_left, left)
                or_pos = pos
                left, ld = self.unary(in_vp, word, pos)
            else:
                break
        if or_left is None:
            return left, ld
        d = 1 + (od if od > ld else ld)
        if d > MAX_FILTER_DEPTH:
            self.too_deep(or_pos)
        return Or(or_left, left), d

    def unary(self, in_vp: bool, prev: str | None, prev_pos: int):
        """``not (f)`` / ``(f)`` / attribute expression / value path; returns (node, depth)."""
        text, n = self.text, self.n
        pos = _WS(text, self.pos).end()
        m = _WORD(text, pos)
        if m is None:
            if pos < n and text[pos] == "(":
                return self.group(pos, in_vp)
            if prev is None and pos >= n:
                self.err(f"empty {self.kind}: expected an attribute path, '(' or 'not' at position {pos}", pos)
            self.expected("an attribute path, '(' or 'not'", prev, prev_pos, pos)
        word = m.group()
        end = m.end()
        if len(word) == 3 and word.lower() == "not":
            j = _WS(text, end).end()
            if j < n and text[j] == "(":
                inner, d = self.group(j, in_vp)
                d += 1
                if d > MAX_FILTER_DEPTH:
                    self.too_deep(pos)
                return Not(inner), d
        path = self.attr_path(word, pos)
        if end < n and text[end] == "[":
            if in_vp:
                self.err(f"nested value path '{_short(word)}[' at position {pos} is not allowed inside '[...]'", pos)
            inner, d = self.bracket(end)
            after = self.pos
            if after < n and text[after] == ".":
                # Non-RFC form: emails[type eq "work"].value eq "x".
                name, name_pos, self.pos = self.dot_name(after)
                inner = And(inner, self.attr_exp(AttrPath(name), name, name_pos))
                d += 1
            d += 1
            if d > MAX_FILTER_DEPTH:
                self.too_deep(end)
            return ValuePath(path, inner), d
        self.pos = end
        return self.attr_exp(path, word, pos), 1

    def group(self, open_pos: int, in_vp: bool):
        """``( f )`` with ``open_pos`` at the ``(``; returns (node, depth)."""
        self.nest += 1
        if self.nest > MAX_FILTER_NESTING:
            self.err(f"{self.kind} nests parentheses or brackets more than {MAX_FILTER_NESTING} deep "
                     f"at position {open_pos}", open_pos)
        self.pos = open_pos + 1
        node, d = self.expr(in_vp, "(", open_pos)
        pos = self.pos
        if pos >= self.n or self.text[pos] != ")":
            self.expected(f"')' to close the '(' at position {open_pos}", None, 0, pos)
        self.pos = pos + 1
        self.nest -= 1
        return node, d

    def bracket(self, open_pos: int):
        """``[ valFilter ]`` with ``open_pos`` at the ``[``; returns (node, depth)."""
        self.nest += 1
        if self.nest > MAX_FILTER_NESTING:
            self.err(f"{self.kind} nests parentheses or brackets more than {MAX_FILTER_NESTING} deep "
                     f"at position {open_pos}", open_pos)
        self.pos = open_pos + 1
        node, d = self.expr(True, "[", open_pos)
        pos = self.pos
        if pos >= self.n or self.text[pos] != "]":
            self.expected(f"']' to close the '[' at position {open_pos}", None, 0, pos)
        self.pos = pos + 1
        self.nest -= 1
        return node, d

    def dot_name(self, dot: int):
        """The sub-attribute after ``].``; returns (name, position, end)."""
        m = _WORD(self.text, dot + 1)
        if m is None:
            self.expected("a sub-attribute name", ".", dot, dot + 1)
        name = m.group()
        if not _NAME_FULL(name):
            self.err(f"invalid sub-attribute name '{_short(name)}' at position {dot + 1}", dot + 1)
        return name, dot + 1, m.end()

    def attr_path(self, word: str, pos: int) -> AttrPath:
        m = _SIMPLE_PATH(word)
        if m is not None:
            return AttrPath(m.group(1), m.group(2))
        if word[:4].lower() == "urn:":
            i = word.rfind(":")
            urn, rest = word[:i], word[i + 1:]
            if not _URN(urn):
                self.err(f"invalid schema URN '{_short(urn)}' at position {pos}", pos)
            if not rest:
                self.err(
                    f"expected an attribute name after the schema URN '{_short(urn)}' at position {pos + i + 1}",
                    pos + i + 1,
                )
            m = _SIMPLE_PATH(rest)
            if m is None:
                self.bad_path(rest, pos + i + 1)
            return AttrPath(m.group(1), m.group(2), urn)
        self.bad_path(word, pos)

    def bad_path(self, word: str, pos: int) -> NoReturn:
        parts = word.split(".")
        if len(parts) > 2:
            self.err(f"attribute path '{_short(word)}' at position {pos} has more than one '.'", pos)
        off = pos
        for part in parts:
            if not _NAME_FULL(part):
                self.err(
                    f"invalid attribute name '{_short(part)}' at position {off}",
                    off,
                    "a name is a letter followed by letters, digits, '-' or '_'",
                )
            off += len(part) + 1
        self.err(f"invalid attribute path '{_short(word)}' at position {pos}", pos)  # pragma: no cover

    def attr_exp(self, path: AttrPath, word: str, wpos: int):
        """``path pr`` / ``path op value``; ``pos`` is just after the path."""
        text, n = self.text, self.n
        j = _WS(text, self.pos).end()
        m = _WORD(text, j)
        if m is None:
            self.expected("an operator", word, wpos, j)
        op_word = m.group()
        op = op_word if op_word in _OPS else op_word.lower()
        k = m.end()
        if op == "pr":
            self.pos = k
            return Present(path)
        if op not in _OPS:
            if word.lower() == "not":
                self.err(f"expected '(' after 'not' at position {wpos}", wpos)
            self.err(f"unknown operator '{_short(op_word)}' at position {j}", j, _OPS_HINT)
        v = _WS(text, k).end()
        if v >= n:
            self.expected("a value", op_word, j, v)
        if text[v] == '"':
            value = self.string(v)
        else:
            mb = _BARE(text, v)
            if mb is None:
                self.expected("a value", op_word, j, v)
            tok = mb.group()
            low = tok.lower()
            if low == "true":
                value = True
            elif low == "false":
                value = False
            elif low == "null":
                value = None
            elif low in _KEYWORDS:
                self.expected("a value", op_word, j, v)
            else:
                value = tok
                if tok[0] in "-0123456789":
                    num = _NUMBER(tok)
                    if num is not None:
                        if num.group(1) is None and num.group(2) is None:
                            value = int(tok)
                        else:
                            value = float(tok)
                            if not math.isfinite(value):
                                self.err(f"number '{_short(tok)}' at position {v} is out of range", v)
            self.pos = mb.end()
        return Compare(path, op, value)

    def string(self, start: int) -> str:
        """A JSON string starting at ``start``; sets ``pos`` after the closing quote."""
        text = self.text
        e = _STRING(text, start).end()
        if e < self.n and text[e] == '"':
            self.pos = e + 1
            raw = text[start + 1:e]
            if "\\" not in raw:
                return raw
            try:
                return json.loads(text[start:e + 1])
            except json.JSONDecodeError as exc:
                # json points at the backslash or at the 'u' of a bad \uXXXX.
                bad = text.rfind("\\", start, start + exc.pos + 1)
                self.err(f"invalid escape sequence in string at position {bad}", bad)
        if e >= self.n:
            self.err(f"unterminated string starting at position {start}", start)
        if text[e] == "\\":
            self.err(f"invalid escape sequence in string at position {e}", e)
        self.err(f"unescaped control character {text[e]!r} in string at position {e}", e)


def _check_text(text, error: type, kind: str) -> None:
    if not isinstance(text, str):
        raise error(f"{kind} must be a string, got {type(text).__name__}")
    if len(text) > MAX_FILTER_LENGTH:
        raise error(
            f"{kind} is {len(text)} characters long; the maximum is {MAX_FILTER_LENGTH} "
            f"(exceeded at position {MAX_FILTER_LENGTH})"
        )


def _parse_filter(text: str) -> Filter:
    """Uncached parse of a filter (``text`` already checked for type and length)."""
    p = _Parser(text, InvalidFilter, "filter")
    node, _ = p.expr(False, None, 0)
    pos = p.pos
    if pos < p.n:
        c = text[pos]
        if c in ")]":
            p.err(f"unbalanced '{c}' at position {pos}", pos)
        p.err(f"unexpected {p.describe(pos)} at position {pos}", pos, "expected 'and', 'or' or end of filter")
    return node


def _parse_patch_path(text: str) -> PatchPath:
    """Uncached parse of a PATCH path (``text`` already checked for type and length)."""
    p = _Parser(text, InvalidPath, "path")
    n = p.n
    pos = _WS(text, 0).end()
    m = _WORD(text, pos)
    if m is None:
        if pos >= n:
            p.err(f"empty path: expected an attribute path at position {pos}", pos)
        p.expected("an attribute path", None, 0, pos)
    word = m.group()
    end = m.end()
    path = p.attr_path(word, pos)
    value_filter = sub_attr = None
    if end < n and text[end] == "[":
        if path.sub_attr is not None:
            p.err(f"'[' at position {end} cannot follow the sub-attribute '{_short(path.sub_attr)}'", end)
        value_filter, d = p.bracket(end)
        if d + 1 > MAX_FILTER_DEPTH:
            p.too_deep(end)
        end = p.pos
        if end < n and text[end] == ".":
            sub_attr, _, end = p.dot_name(end)
    end = _WS(text, end).end()
    if end < n:
        p.err(f"unexpected {p.describe(end)} at position {end}", end, "expected end of path")
    return PatchPath(path, value_filter, sub_attr)


_parse_filter_cached = functools.lru_cache(maxsize=1024)(_parse_filter)
_parse_patch_path_cached = functools.lru_cache(maxsize=1024)(_parse_patch_path)


def parse_filter(text: str) -> Filter:
    """Parse a SCIM filter; raises ``InvalidFilter`` with the position of the problem.

    Results are memoised (nodes are immutable); errors are raised on every call.
    """
    _check_text(text, InvalidFilter, "filter")
    return _parse_filter_cached(text)


def parse_patch_path(text: str) -> PatchPath:
    """Parse a PATCH ``path``; raises ``InvalidPath`` with the position of the problem."""
    _check_text(text, InvalidPath, "path")
    return _parse_patch_path_cached(text)


# -- printer -----------------------------------------------------------------
_Node = Union[Filter, PatchPath, AttrPath]


def _path_str(p: AttrPath) -> str:
    s = p.attr if p.sub_attr is None else f"{p.attr}.{p.sub_attr}"
    return s if p.urn is None else f"{p.urn}:{s}"


def _literal_str(v) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot print non-finite number {v!r} in a filter")
        return repr(float(v))
    raise TypeError(f"cannot print {type(v).__name__} value {v!r} in a filter")


# Precedence: or < and < everything else.
_PREC_OR, _PREC_AND, _PREC_ATOM = 1, 2, 3


def _filter_str(node, min_prec: int) -> str:
    if isinstance(node, Compare):
        if node.op not in _OPS:
            raise ValueError(f"unknown comparison operator {node.op!r}")
        return f"{_path_str(node.path)} {node.op} {_literal_str(node.value)}"
    if isinstance(node, Present):
        return f"{_path_str(node.path)} pr"
    if isinstance(node, And):
        s = f"{_filter_str(node.left, _PREC_AND)} and {_filter_str(node.right, _PREC_ATOM)}"
        return s if min_prec <= _PREC_AND else f"({s})"
    if isinstance(node, Or):
        s = f"{_filter_str(node.left, _PREC_OR)} or {_filter_str(node.right, _PREC_AND)}"
        return s if min_prec <= _PREC_OR else f"({s})"
    if isinstance(node, Not):
        return f"not ({_filter_str(node.expr, 0)})"
    if isinstance(node, ValuePath):
        return f"{_path_str(node.path)}[{_filter_str(node.filter, 0)}]"
    raise TypeError(f"not a filter node: {node!r}")


def to_string(node: _Node) -> str:
    """Canonical text of a filter, PATCH path or attribute path.

    ``parse_filter(to_string(f)) == f`` and ``parse_patch_path(to_string(p)) == p``
    for every valid AST. Parentheses appear only where precedence needs them;
    strings are JSON-quoted; operators are lower case.
    """
    if isinstance(node, PatchPath):
        s = _path_str(node.path)
        if node.value_filter is not None:
            s += f"[{_filter_str(node.value_filter, 0)}]"
            if node.sub_attr is not None:
                s += f".{node.sub_attr}"
        elif node.sub_attr is not None:
            raise ValueError("PatchPath.sub_attr requires a value_filter")
        return s
    if isinstance(node, AttrPath):
        return _path_str(node)
    return _filter_str(node, 0)
