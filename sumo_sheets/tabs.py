"""What a tab must look like (TabSpec) and what making it so changed (TabRepair).

Plain data, shared by the sheet's format (which declares the tabs) and the storage
backends (which create and repair them), so neither has to import the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TabSpec:
    """What a tab must look like: its headers, rows to seed a new tab with, dropdowns."""

    title: str
    headers: tuple[str, ...]
    seed_rows: tuple[tuple[str, ...], ...] = ()
    # Header name -> allowed values, offered as a dropdown where the backend can.
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass
class TabRepair:
    """What ``ensure_tab`` changed, for the CLI to report."""

    title: str
    created: bool = False
    added_headers: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the tab was created or its header row extended."""
        return self.created or bool(self.added_headers)
