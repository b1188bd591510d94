"""Who a contact is: the one rule for telling whether two contacts are the same person.

A volunteer's contact is an email address or an IRC/Matrix chat nick. Everything that
compares contacts (one person takes one place an hour, a personal manage link, a
volunteer's calendar feed, reminders, hours per volunteer) compares ``contact_key``.
Pure Python, no I/O.

**Email addresses** (anything email-validator accepts) are normalised as email-validator
does, then lower-cased: the domain in its IDNA (ASCII) form, and the local part in NFC
with ``str.lower()``. Never ``casefold()``: case folding maps ß to ss, so it would make
``anna@straße.de`` and ``anna@strasse.de`` one person, though they are two mailboxes with
two owners, and one could then see and cancel the other's signups. So::

    Anna@Straße.de       -> anna@xn--strae-oqa.de   (not anna@strasse.de)
    ANNA@ｅｘａｍｐｌｅ.org -> anna@example.org        (a fullwidth domain is the same domain)
    ａｎｎａ@example.org   -> ａｎｎａ@example.org      (a fullwidth local part is another mailbox)
    jose\u0301@x.org     -> josé@x.org             (a combining accent is the composed letter)

**Nicks** (everything else) follow Unicode's identifier caseless match (UAX #31, an
approximation of NFKC_Casefold): outer whitespace stripped, then NFKC, casefold, NFKC. A
leading ``@`` (a Matrix ID) is kept. Here folding lookalikes together is wanted: a nick has
no mailbox to own (nothing proves who typed it, and the form takes only ASCII nicks), so
``ａｎｎａ``, ``Anna`` and ``anna`` being one nick only makes the one-person-one-role-an-hour
rule stricter, while two email addresses must never merge into one person.

A nick must never become an address, though: ``anna＠example.org`` (a fullwidth ＠) is a
nick, and its folded form would read as anna's address. Such a nick's key starts with
``nick:``, which no address can, so a nick's key is never a mailbox's key.

Every key is its own key (``contact_key(contact_key(c)) == contact_key(c)``): a manage
link carries the key and it is looked up again.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

# Before a nick's key when its folded form would read as an email address; the colon
# cannot stand unquoted in an address, so such a key is never an address's key.
NICK_MARK = "nick:"
# Distinct contacts remembered; a 50,000-row sheet has far fewer, and the bound keeps
# contacts typed into the form from growing the cache without end.
_CACHE_SIZE = 1 << 16


def looks_like_email(contact: str) -> bool:
    """True when the contact is meant as an email address: an @ with something before it.

    A leading @ is a Matrix ID (@you:matrix.org), not an address.
    """
    value = (contact or "").strip()
    return "@" in value[1:] and not value.startswith("@")


def is_email(contact: str) -> bool:
    """True when the contact is an email address (not an IRC nick or a Matrix ID)."""
    return _email_key((contact or "").strip()) is not None


@lru_cache(maxsize=_CACHE_SIZE)
def contact_key(contact: str) -> str:
    """The contact as compared between signups; "" for a blank one. See the module doc."""
    value = (contact or "").strip()
    if not value:
        return ""
    email = _email_key(value)
    if email is not None:
        return email
    return _nick_key(value)


@lru_cache(maxsize=_CACHE_SIZE)
def _email_key(value: str) -> str | None:
    """The normalised address, or None when ``value`` is not an email address."""
    if not looks_like_email(value):
        return None
    try:
        address = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{address.local_part.lower()}@{address.ascii_domain.lower()}"


def _nick_key(value: str) -> str:
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    folded = folded.strip()  # NFKC can bring spaces to the ends (¨ is a space and a mark)
    if _email_key(folded) is not None:
        return NICK_MARK + folded
    return folded


# Providers known to deliver every dotted spelling of an address to one mailbox.
_DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(contact: str) -> str:
    """The mailbox mail to this contact lands in, for counting mail per recipient.

    Wider than ``contact_key`` on purpose: ``victim+1@…`` and ``victim+2@…`` (sub-addresses),
    and at Gmail ``v.i.c.t.i.m@…``, all land in one mailbox, so they share one mail cap. It
    is never used to say two contacts are one person.
    """
    key = contact_key(contact)
    local, at, domain = key.rpartition("@")
    if not at or not local or key.startswith("nick:"):
        return key
    local = local.split("+", 1)[0] or local
    if domain in _DOTS_IGNORED:
        local, domain = local.replace(".", "") or local, _DOTS_IGNORED[domain]
    return f"{local}@{domain}"
