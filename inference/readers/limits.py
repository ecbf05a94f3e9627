"""The resource limits of reading and extracting one file (``limits`` in configs/readers.yaml), read here
and nowhere else. A test or a caller may lower one for a while (``overridden``), and a batch hands its
worker processes the values it runs with (``current`` → ``install``), so a limit means the same in every
process of one run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from govreport.configs import load

_overrides: dict[str, Any] = {}


def _settings() -> dict[str, Any]:
    return load("readers")["limits"]


def limit(name: str) -> Any:
    """The value of one limit (KeyError for a name configs/readers.yaml does not define)."""
    return _overrides[name] if name in _overrides else _settings()[name]


def current() -> dict[str, Any]:
    """Every limit as this process applies it."""
    return {**_settings(), **_overrides}


def install(values: Mapping[str, Any]) -> None:
    """Apply ``values`` in this process from now on (a worker takes its parent's ``current()``)."""
    unknown = sorted(set(values) - set(_settings()))
    if unknown:
        raise KeyError(f"no such limit in configs/readers.yaml: {', '.join(unknown)}")
    _overrides.update(values)


@contextmanager
def overridden(**values: Any) -> Iterator[None]:
    """Lower (or raise) some limits inside a ``with`` block."""
    saved = dict(_overrides)
    install(values)
    try:
        yield
    finally:
        _overrides.clear()
        _overrides.update(saved)
