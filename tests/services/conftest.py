"""Service tests on the in-memory backend: no files, no network, no waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sumo_sheets import services
from sumo_sheets import sheet_format as fmt
from sumo_sheets.model import Role, SignupRequest
from sumo_sheets.retry import RetryPolicy
from sumo_sheets.storage.memory import MemoryStorage

from ..support import NOW

# The Monday after NOW: its 14:00-16:00 block wants 2 Helpers, an Advisor, a Room monitor.
MONDAY_14 = datetime(2026, 11, 30, 14, tzinfo=UTC)
# Retries that never wait, so a test of three tries takes no time.
NO_WAITS = RetryPolicy(attempts=3, budget_seconds=5.0, first_wait_seconds=0.0)


@pytest.fixture
def sheet() -> MemoryStorage:
    """A new sheet with the site's tabs and default schedule and settings."""
    return MemoryStorage(fmt.TAB_SPECS)


@pytest.fixture
def reader(sheet: MemoryStorage) -> services.SheetReader:
    """A reader of that sheet, with a ledger for uncertain signups, at NOW."""
    return services.SheetReader(
        sheet, clock=lambda: NOW, ledger=services.UncertainLedger(clock=lambda: NOW)
    )


def ask(
    name: str,
    role: Role = Role.HELPER,
    start: datetime = MONDAY_14,
    hours: int = 1,
    request_id: str = "",
) -> SignupRequest:
    """A signup request from ``name`` (their contact is name@example.org)."""
    contact = f"{name.lower()}@example.org"
    return SignupRequest(name, contact, role, start, hours, request_id=request_id or name * 3)


def later(hours: float) -> datetime:
    """NOW plus some hours."""
    return NOW + timedelta(hours=hours)
