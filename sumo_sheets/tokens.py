"""Personal manage links: a signed, unguessable token for a contact (no accounts)."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from . import contacts

# Part of the signature: a token made for another purpose with the same key is refused.
_SALT = "sumo-manage-link"


class BadToken(Exception):
    """The link was altered, is not one of ours, or is too old; ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def contact_key(contact: str) -> str:
    """The contact as signups are matched, by the one rule in contacts.py."""
    return contacts.contact_key(contact)


def make_manage_token(secret_key: str, contact: str) -> str:
    """A URL-safe token naming this contact, signed with the app's secret key."""
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps(contact_key(contact))


def read_manage_token(secret_key: str, token: str, max_age_days: float) -> str:
    """The contact a token names, or BadToken if it was tampered with or has expired."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        contact = serializer.loads(token, max_age=int(max_age_days * 86400))
    except SignatureExpired as error:
        raise BadToken(
            "This link has expired. Ask for a new one below and we will email it to you."
        ) from error
    except BadSignature as error:
        raise BadToken(
            "This link is not valid: it may have been cut short or changed. Check that you "
            "copied all of it, or ask for a new one below."
        ) from error
    if not isinstance(contact, str) or not contact:
        raise BadToken("This link is not valid.")
    return contact
