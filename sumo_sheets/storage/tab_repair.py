"""What creating or repairing a tab writes: the one plan both backends carry out.

A tab with no header row gets the spec's headers (and its seed rows when it has no rows
either); a tab with a header row gets the missing headers at its right end. Existing rows
are never touched. When anything changed, row 1 is frozen and the spec's dropdowns added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..headers import column_index
from . import TabRepair, TabSpec


@dataclass
class TabPlan:
    """The cells to write into a tab, from row 1, and what that repairs."""

    repair: TabRepair
    # 1-based column of row 1 where ``block`` starts; ``block`` is empty if nothing is written.
    column: int = 1
    block: list[list[str]] = field(default_factory=list)
    # The header row once the block is written.
    header: list[str] = field(default_factory=list)

    def dropdowns(self, spec: TabSpec) -> list[tuple[int, Sequence[str]]]:
        """(0-based column, allowed values) of the spec's choices found in the header."""
        found = []
        for name, allowed in spec.choices.items():
            column = column_index(self.header, name)
            if column is not None:
                found.append((column, allowed))
        return found


def plan_tab(spec: TabSpec, grid: Sequence[Sequence[str]], created: bool) -> TabPlan:
    """What to write into a tab that reads as ``grid`` (``created``: it was just added)."""
    plan = TabPlan(TabRepair(spec.title, created=created))
    header = list(grid[0]) if grid else []
    if not header:
        plan.block = [list(spec.headers)]
        if len(grid) <= 1:
            plan.block += [list(row) for row in spec.seed_rows]
        if not created:
            plan.repair.added_headers = list(spec.headers)
        plan.header = list(spec.headers)
        return plan
    added: list[str] = []
    for name in spec.headers:
        if column_index([*header, *added], name) is None:
            added.append(name)
    plan.column = len(header) + 1
    plan.block = [added] if added else []
    plan.header = header + added
    plan.repair.added_headers = added
    return plan
