"""SCIM filters and PATCH paths: AST, parser and canonical printer."""
from .ast import (
    COMPARISON_OPERATORS, And, AttrPath, Compare, Filter, Literal, Not, Or, PatchPath, Present, ValuePath,
)
from .parser import MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parse_filter, parse_patch_path, to_string

__all__ = [
    "COMPARISON_OPERATORS", "And", "AttrPath", "Compare", "Filter", "Literal", "Not", "Or", "PatchPath",
    "Present", "ValuePath", "MAX_FILTER_DEPTH", "MAX_FILTER_LENGTH", "parse_filter", "parse_patch_path",
    "to_string",
]
