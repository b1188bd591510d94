"""SheetReader: a recent copy for pages, the last good copy when the sheet cannot be read."""

from __future__ import annotations

import pytest

from sumo_sheets import services
from sumo_sheets.storage import StorageError

from ..support import NOW
from .conftest import ask


class Counting:
    """The sheet, counting reads, and failing them on demand."""

    def __init__(self, inner):
        self.inner = inner
        self.reads = 0
        self.failing = False

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def read_tabs(self, titles):
        self.reads += 1
        if self.failing:
            raise StorageError("The sheet could not be read.", transient=True)
        return self.inner.read_tabs(titles)


def test_pages_share_one_read_per_cache_period(sheet):
    counting = Counting(sheet)
    reader = services.SheetReader(counting, clock=lambda: NOW, ttl_seconds=60)
    reader.latest()
    reader.latest()
    assert counting.reads == 1
    reader.invalidate()
    reader.latest()
    assert counting.reads == 2


def test_a_failed_read_shows_the_last_good_copy_marked_stale(sheet):
    counting = Counting(sheet)
    reader = services.SheetReader(counting, clock=lambda: NOW)
    services.sign_up(reader, ask("Ann"), NOW)
    counting.failing = True
    copy = reader.latest()
    assert copy.stale_since == NOW and [s.name for s in copy.signups] == ["Ann"]
    with pytest.raises(StorageError):
        reader.fresh()


def test_with_no_good_copy_a_failed_read_raises(sheet):
    counting = Counting(sheet)
    counting.failing = True
    with pytest.raises(StorageError):
        services.SheetReader(counting, clock=lambda: NOW).latest()
