"""Cell values: how written values are stored and how stored values are rendered back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# Doubles beyond this lose integer precision; Google prints such numbers in E notation.
_MAX_EXACT_INT = 2**53


@dataclass(frozen=True)
class Formula:
    """A formula cell; its text is kept but never evaluated."""

    text: str


# What a cell holds: None (empty), text, a number, a boolean or a formula.
Cell = str | int | float | bool | Formula | None

RAW = "RAW"
USER_ENTERED = "USER_ENTERED"
INPUT_OPTIONS = (RAW, USER_ENTERED)
FORMATTED = "FORMATTED_VALUE"
UNFORMATTED = "UNFORMATTED_VALUE"
FORMULA = "FORMULA"
RENDER_OPTIONS = (FORMATTED, UNFORMATTED, FORMULA)

# Marks a JSON null in written values: Google leaves that cell as it was.
SKIP = object()


def _number(value: float) -> int | float:
    """Numbers are doubles in Sheets; whole ones come back without a fraction, as from Google."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _MAX_EXACT_INT:
        return int(value)
    return value


def parse_input(value: Any, option: str, where: str) -> Cell | object:
    """What a written JSON value becomes under RAW or USER_ENTERED (SKIP for null)."""
    if value is None:
        return SKIP
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _number(value)
    if not isinstance(value, str):
        raise bad_request(
            f"Invalid values[{where}]: list_value or struct_value is not a valid cell value"
        )
    if value == "":
        return None
    if option == RAW:
        return value
    if value.startswith("=") and len(value) > 1:
        return Formula(value)
    if value.startswith("'"):
        return value[1:] or None
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    if _NUMBER.fullmatch(value):
        return _number(float(value))
    return value


def format_number(value: int | float) -> str:
    """A number as Sheets' automatic format shows it (15 significant digits, E for huge)."""
    if isinstance(value, int) and abs(value) < 10**15:
        return str(value)
    return format(value, ".15g").upper()


def render(cell: Cell, option: str) -> Any:
    """A stored cell as values.get returns it under a valueRenderOption ('' for empty)."""
    if cell is None:
        return ""
    if isinstance(cell, Formula):
        return cell.text  # not evaluated: every option shows the formula text
    if isinstance(cell, bool):
        if option == FORMATTED:
            return "TRUE" if cell else "FALSE"
        return cell
    if isinstance(cell, int | float):
        return format_number(cell) if option == FORMATTED else cell
    return cell


def user_entered_value(cell: Cell) -> dict[str, Any] | None:
    """A cell as the ExtendedValue Google puts in CellData.userEnteredValue."""
    if cell is None:
        return None
    if isinstance(cell, Formula):
        return {"formulaValue": cell.text}
    if isinstance(cell, bool):
        return {"boolValue": cell}
    if isinstance(cell, int | float):
        return {"numberValue": cell}
    return {"stringValue": cell}


def from_extended_value(value: dict[str, Any]) -> Cell:
    """A cell from an ExtendedValue as updateCells sends it."""
    if "formulaValue" in value:
        return Formula(str(value["formulaValue"]))
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "numberValue" in value:
        return _number(float(value["numberValue"]))
    if "stringValue" in value:
        return str(value["stringValue"]) or None
    return None


def to_json(cell: Cell) -> Any:
    """A cell for the state file: formulas are tagged so they load back as formulas."""
    if isinstance(cell, Formula):
        return {"formula": cell.text}
    return cell


def from_json(value: Any) -> Cell:
    """A cell from the state file."""
    if isinstance(value, dict):
        return Formula(str(value.get("formula", "")))
    return value
