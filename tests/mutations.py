"""Helpers for fuzz tests that take a real document and swap one part of it for generated data."""

from __future__ import annotations

from typing import Any


def paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in nested dicts and lists, containers included, the root first."""
    if isinstance(value, dict):
        return [path] + [p for key, item in value.items() for p in paths(item, (*path, key))]
    if isinstance(value, list):
        return [path] + [p for index, item in enumerate(value) for p in paths(item, (*path, index))]
    return [path]


def replace_at(document: Any, path: tuple[Any, ...], value: Any) -> None:
    """Put ``value`` at ``path`` (not the root) inside ``document``, in place."""
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
