"""An offline emulator of the Google Sheets API v4, with the Drive and OAuth bits gspread uses.

Importing this package does nothing: the app and server are loaded on first attribute use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_emulator_app
    from .server import EmulatorServer

__all__ = ["EmulatorServer", "create_emulator_app"]


def __getattr__(name: str) -> Any:
    if name == "create_emulator_app":
        from .app import create_emulator_app

        return create_emulator_app
    if name == "EmulatorServer":
        from .server import EmulatorServer

        return EmulatorServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
