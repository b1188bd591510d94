"""New IDs: short signup and finding IDs a coordinator can read out, and form request keys."""

from __future__ import annotations

import secrets

_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: IDs get read aloud


def new_signup_id(taken: set[str]) -> str:
    """A short random ID, unique in the sheet, that a coordinator can read out."""
    while True:
        candidate = "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))
        if candidate not in taken:
            return candidate


def new_request_key() -> str:
    """A fresh form request key, for a request whose own key was used for something else."""
    return secrets.token_urlsafe(18)
