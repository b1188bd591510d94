"""Partial responses: the `fields` system parameter every Google API accepts."""

from __future__ import annotations

from typing import Any

from .errors import bad_request

# A parsed mask: field name -> the mask for its value (None keeps the whole value).
Mask = dict[str, "Mask | None"]


def parse_fields(text: str) -> Mask:
    """Parse `a,b.c,d(e,f/g)` ("." and "/" both step into a field) into a tree."""
    mask, rest = _parse_list(text.replace(" ", ""), 0)
    if rest != len(text.replace(" ", "")):
        raise bad_request(f"Invalid field selection {text}")
    return mask


def _parse_list(text: str, pos: int) -> tuple[Mask, int]:
    mask: Mask = {}
    while pos < len(text):
        pos = _parse_item(text, pos, mask)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        break
    return mask, pos


def _parse_item(text: str, pos: int, mask: Mask) -> int:
    start = pos
    while pos < len(text) and text[pos] not in ",()":
        pos += 1
    path = [p for p in text[start:pos].replace("/", ".").split(".") if p]
    if not path:
        raise bad_request(f"Invalid field selection {text}")
    sub: Mask | None = None
    if pos < len(text) and text[pos] == "(":
        sub, pos = _parse_list(text, pos + 1)
        if pos >= len(text) or text[pos] != ")":
            raise bad_request(f"Invalid field selection {text}")
        pos += 1
    node = mask
    for name in path[:-1]:
        child = node.get(name, {})
        if child is None:  # already selected whole
            return pos
        node[name] = child
        node = child
    last = path[-1]
    if sub is None or node.get(last, {}) is None:
        node[last] = None
    else:
        existing = node.get(last) or {}
        existing.update(sub)
        node[last] = existing
    return pos


def apply_fields(value: Any, mask: Mask | None) -> Any:
    """Keep only the selected fields of a reply ("*" selects everything at its level)."""
    if mask is None or "*" in mask:
        return value
    if isinstance(value, list):
        return [apply_fields(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: apply_fields(value[key], sub) for key, sub in mask.items() if key in value}
