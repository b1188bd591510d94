"""Manage links: opaque, signed, expiring and revocable tokens (no accounts).

A link grants one of two things:

- **A contact's link** reaches every signup made with one contact. It is only ever sent
  by email to that address, which is the proof that whoever opens it owns the contact.
- **A signup link** reaches only the signups one form made. It is shown to the browser
  that made them (and is the only link a chat-nick volunteer, who gets no mail, has).

No contact can be read out of a token: it names the contact by a keyed hash (HMAC-SHA256
under a key derived from SECRET_KEY), so a link in a browser history, a screenshot or a
calendar file gives nothing away. Tokens are signed and carry the time they were made,
so they expire (MANAGE_LINK_DAYS) and can be revoked: `flask --app app links revoke
CONTACT` records the moment, and every link of that contact made before it stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from filelock import FileLock
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .contacts import contact_key

# Part of the signature: a token made for another purpose with the same key is refused.
_SALT = "sumo-manage-link-v2"
# Older links named the contact in readable form; they are recognised so the page can say
# what to do, but never honoured (anyone could have obtained one).
_OLD_SALT = "sumo-manage-link"
_HASH_BYTES = 16  # 128 bits: no two contacts of one site will ever share a hash

log = logging.getLogger(__name__)

LOST_LINK_HELP = (
    "Ask for a new one below and we will email it to you; if you signed up with a chat "
    "nick, use the link on your confirmation page or ask a coordinator."
)


class BadToken(Exception):
    """The link was altered, is not one of ours, is too old or revoked; ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Grant:
    """What a valid link reaches: one contact's signups, or only some of them."""

    contact_hash: str
    # None: every signup of the contact (a mailed link); else only these signup IDs.
    signup_ids: frozenset[str] | None
    issued_at: float

    @property
    def whole_contact(self) -> bool:
        """True for a contact's link, False for a signup link."""
        return self.signup_ids is None


class RevocationList:
    """When each contact's links were last revoked, in a small JSON file in the instance folder.

    Keys are contact hashes, never contacts. Read on every link check, cached by the file's
    modification time; written under a file lock and replaced atomically, so several
    processes on a host share it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock")
        self._seen: tuple[float, dict[str, float]] = (-1.0, {})

    def revoked_at(self, contact_hash: str) -> float | None:
        """The moment this contact's links were last revoked, or None."""
        return self._read().get(contact_hash)

    def revoke(self, contact_hash: str, at: float | None = None) -> None:
        """Revoke every link of a contact made up to now (or ``at``)."""
        with self._lock:
            entries = dict(self._read(force=True))
            entries[contact_hash] = time.time() if at is None else at
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".revoked-")
            with os.fdopen(handle, "w") as file:
                json.dump(entries, file, sort_keys=True)
            os.replace(temporary, self.path)

    def _read(self, force: bool = False) -> dict[str, float]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if not force and mtime == self._seen[0]:
            return self._seen[1]
        try:
            clean = _revocations(json.loads(self.path.read_text() or "{}"))
        except (OSError, ValueError, TypeError, AttributeError):
            # A damaged file must not open every revoked link again: refuse them all, with a
            # page that says so, until it is repaired (or deleted, which un-revokes all).
            log.error("%s is damaged; every manage link is refused until it is fixed", self.path)
            raise BadToken(
                "Personal links cannot be checked right now; please try again in a minute."
            ) from None
        self._seen = (mtime, clean)
        return clean


def _revocations(entries: Any) -> dict[str, float]:
    """The file's entries, checked: contact hash -> a finite moment."""
    if not isinstance(entries, dict):
        raise TypeError("not an object")
    clean = {}
    for key, value in entries.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("not a number")
        if not math.isfinite(value):
            raise ValueError("not a moment")
        clean[str(key)] = float(value)
    return clean


class ManageLinks:
    """Makes and reads every manage token, and builds their addresses."""

    def __init__(
        self, secret_key: str, max_age_days: float, revocations: RevocationList | None = None
    ) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self._old_serializer = URLSafeTimedSerializer(secret_key, salt=_OLD_SALT)
        # A key of its own for hashing contacts, so the hash is no use against the signer.
        self._hash_key = hmac.new(
            secret_key.encode(), b"sumo contact hash v1", hashlib.sha256
        ).digest()
        self.max_age_days = float(max_age_days)
        self.revocations = revocations
        self.contact_hash = lru_cache(maxsize=65536)(self._contact_hash)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ManageLinks:
        """The links of a site's settings (SECRET_KEY, MANAGE_LINK_DAYS, REVOKED_LINKS_FILE)."""
        path = config.get("REVOKED_LINKS_FILE")
        return cls(
            str(config["SECRET_KEY"]),
            float(config.get("MANAGE_LINK_DAYS", 365)),
            RevocationList(path) if path else None,
        )

    def _contact_hash(self, contact: str) -> str:
        digest = hmac.new(self._hash_key, contact_key(contact).encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:_HASH_BYTES]).decode().rstrip("=")

    def for_contact(self, contact: str) -> str:
        """A token for every signup of this contact: send it only to that address."""
        return self._serializer.dumps({"k": self.contact_hash(contact), "t": _now_ms()})

    def for_signups(self, contact: str, signup_ids: Iterable[str]) -> str:
        """A token for these signups only (the ones one form made)."""
        ids = sorted({i for i in signup_ids if i})
        return self._serializer.dumps({"k": self.contact_hash(contact), "s": ids, "t": _now_ms()})

    def read(self, token: str) -> Grant:
        """What a token grants, or BadToken saying why it does not work."""
        try:
            payload, stamp = self._serializer.loads(
                token, max_age=int(self.max_age_days * 86400), return_timestamp=True
            )
        except SignatureExpired as error:
            raise BadToken("This link has expired. " + LOST_LINK_HELP) from error
        except BadSignature as error:
            if self._is_old_link(token):
                raise BadToken(
                    "This link is from before the site's links were made private, and no "
                    "longer works. " + LOST_LINK_HELP
                ) from error
            raise BadToken(
                "This link is not valid: it may have been cut short or changed. Check that you "
                "copied all of it, or ask for a new one below."
            ) from error
        grant = _grant(payload, stamp.timestamp())
        revoked = self.revocations.revoked_at(grant.contact_hash) if self.revocations else None
        if revoked is not None and grant.issued_at <= revoked:
            raise BadToken("This link was withdrawn. " + LOST_LINK_HELP)
        return grant

    def owns(self, grant: Grant, contact: str, signup_id: str) -> bool:
        """True when the grant reaches the signup with this contact and ID."""
        if self.contact_hash(contact) != grant.contact_hash:
            return False
        return grant.signup_ids is None or signup_id in grant.signup_ids

    def revoke(self, contact: str) -> None:
        """Every link of this contact made until now stops working."""
        if self.revocations is None:
            raise RuntimeError("REVOKED_LINKS_FILE is not set")
        self.revocations.revoke(self.contact_hash(contact))

    def _is_old_link(self, token: str) -> bool:
        try:
            self._old_serializer.loads(token)
        except BadSignature:
            return False
        return True


def _now_ms() -> int:
    # The signer's own timestamp is in whole seconds; revocation needs finer, so that a link
    # asked for just after a revocation works.
    return int(time.time() * 1000)


def _grant(payload: Any, issued_at: float) -> Grant:
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), str):
        raise BadToken("This link is not valid.")
    if isinstance(payload.get("t"), int):
        issued_at = payload["t"] / 1000
    ids = payload.get("s")
    if ids is not None and not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
        raise BadToken("This link is not valid.")
    return Grant(payload["k"], None if ids is None else frozenset(ids), issued_at)


def manage_url(site_url: str, token: str) -> str:
    """The absolute address of a personal manage page under the site's address."""
    return f"{site_url.rstrip('/')}/my/{token}"
