"""``UncertainLedger``: the signups whose confirming read (or withdrawal) failed, so that
the volunteer can be told how each ended. In memory, or a JSON file under a file lock that
every process on the host shares.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..model import Role, Signup

log = logging.getLogger(__name__)

# A row the site made this long ago or less is still its own to withdraw; older rows over a
# maximum (a coordinator lowered it, or typed rows in) are only reported.
SETTLE_WINDOW = timedelta(hours=1)


def _to_json(signup: Signup) -> dict[str, Any]:
    fields = asdict(signup)
    fields["role"] = signup.role.value
    for name in ("start", "end", "signed_up_at"):
        fields[name] = fields[name].isoformat() if fields[name] else None
    return fields


def _from_json(fields: dict[str, Any]) -> Signup:
    fields = dict(fields)
    fields["role"] = Role(fields["role"])
    for name in ("start", "end", "signed_up_at"):
        fields[name] = datetime.fromisoformat(fields[name]) if fields[name] else None
    return Signup(**fields)


class UncertainLedger:
    """Signups that ended in SignupUncertain, until they are settled (or ``keep`` passes).

    With a ``path`` the ledger is a JSON file (under a file lock beside it), shared by the
    processes of the host; without, it lives in this process only.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        keep: timedelta = 2 * SETTLE_WINDOW,
    ) -> None:
        self.path = Path(path) if path else None
        self._clock = clock
        self._keep = keep
        self._thread_lock = threading.Lock()
        self._memory: dict[str, Any] = {"pending": {}, "settled": {}}
        self._version = 0

    def record(self, signup: Signup) -> None:
        """Note a row whose fate the volunteer could not be told."""
        if not signup.id:
            return
        with self._open() as state:
            state["pending"][signup.id] = _to_json(signup)
        log.info("signup %s noted as not yet confirmed", signup.id)

    def pending(self) -> list[Signup]:
        """The noted rows not settled yet."""
        with self._open(write=False) as state:
            return [_from_json(f) for f in state["pending"].values()]

    def forget(self, signup_id: str) -> None:
        """The row's fate is known to its volunteer (a resent form, say): nothing to tell."""
        with self._open() as state:
            state["pending"].pop(signup_id, None)

    def settle(self, signup_id: str) -> bool:
        """Mark a row settled; False if some process on this host settled it already."""
        with self._open() as state:
            state["pending"].pop(signup_id, None)
            if signup_id in state["settled"]:
                return False
            state["settled"][signup_id] = self._clock().isoformat()
            return True

    def was_settled(self) -> set[str]:
        """IDs settled lately by any process of the host."""
        with self._open(write=False) as state:
            return set(state["settled"])

    def stamp(self) -> object:
        """Changes whenever any process records or settles a row (a cheap check)."""
        if self.path is None:
            return self._version
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return None

    @contextlib.contextmanager
    def _open(self, write: bool = True) -> Iterator[dict[str, Any]]:
        with self._thread_lock:
            if self.path is None:
                yield self._memory
                if write:
                    self._prune(self._memory)
                    self._version += 1
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(self.path) + ".lock", timeout=30):
                try:
                    state = json.loads(self.path.read_text())
                except (OSError, ValueError):
                    state = {}
                state.setdefault("pending", {})
                state.setdefault("settled", {})
                yield state
                if write:
                    self._prune(state)
                    temporary = self.path.with_name(self.path.name + ".tmp")
                    temporary.write_text(json.dumps(state, indent=1, sort_keys=True))
                    os.replace(temporary, self.path)

    def _prune(self, state: dict[str, Any]) -> None:
        oldest = self._clock() - self._keep
        state["pending"] = {
            key: fields
            for key, fields in state["pending"].items()
            if not fields.get("signed_up_at")
            or datetime.fromisoformat(fields["signed_up_at"]) >= oldest
        }
        state["settled"] = {
            key: at for key, at in state["settled"].items() if datetime.fromisoformat(at) >= oldest
        }
