"""OAuth: service-account JWT grants become opaque access tokens remembered per account."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
import time
from dataclasses import dataclass

from .errors import MISSING_CREDENTIALS_MESSAGE, ApiError, insufficient_scopes

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME_SECONDS = 3600
SCOPE_PREFIX = "https://www.googleapis.com/auth/"

# Which OAuth scopes let a token use which kind of method, as Google documents them.
_SHEETS_READ = {"spreadsheets", "spreadsheets.readonly", "drive", "drive.readonly", "drive.file"}
_SHEETS_WRITE = {"spreadsheets", "drive", "drive.file"}
_DRIVE_READ = {"drive", "drive.readonly", "drive.file", "drive.metadata.readonly"}
_DRIVE_WRITE = {"drive", "drive.file"}
SCOPES_NEEDED = {
    ("sheets", "read"): _SHEETS_READ,
    ("sheets", "write"): _SHEETS_WRITE,
    ("drive", "read"): _DRIVE_READ,
    ("drive", "write"): _DRIVE_WRITE,
}


class OAuthError(Exception):
    """A token-endpoint error, answered in OAuth's `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}")


@dataclass(frozen=True)
class Caller:
    """Who an access token belongs to and what it may do."""

    email: str
    scopes: frozenset[str] | None  # None: the grant named no scopes; nothing is refused
    expires_at: float

    def require(self, api: str, access: str) -> None:
        """Refuse a method the token's scopes do not cover, as Google does."""
        if self.scopes is None:
            return
        if not self.scopes & SCOPES_NEEDED[(api, access)]:
            raise insufficient_scopes()


def _jwt_claims(assertion: str) -> dict:
    """The claims of a JWT, read without checking its signature (the emulator trusts keys)."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise OAuthError("invalid_grant", "Invalid JWT: Token must be a short-lived token")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError) as error:
        raise OAuthError("invalid_grant", "Invalid JWT Signature.") from error
    if not isinstance(claims, dict):
        raise OAuthError("invalid_grant", "Invalid JWT Signature.")
    return claims


class TokenStore:
    """Access tokens handed out, each tied to an account and its scopes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, Caller] = {}

    def grant(self, form: dict[str, str]) -> dict:
        """Answer a token request; only the service-account JWT bearer grant is supported."""
        grant_type = form.get("grant_type", "")
        if grant_type != JWT_BEARER_GRANT:
            raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        claims = _jwt_claims(form.get("assertion", ""))
        email = claims.get("iss") or claims.get("sub")
        if not email or "@" not in str(email):
            raise OAuthError("invalid_grant", "Invalid JWT: No valid issuer (iss) claim.")
        scope_text = str(claims.get("scope") or "").split()
        scopes = frozenset(s.removeprefix(SCOPE_PREFIX) for s in scope_text) if scope_text else None
        token = "ya29.emulator-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = Caller(str(email), scopes, time.time() + TOKEN_LIFETIME_SECONDS)
        return {
            "access_token": token,
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "token_type": "Bearer",
        }

    def authenticate(self, authorization: str | None) -> Caller:
        """The caller of a request from its Authorization header, or Google's 401."""
        challenge = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        if not authorization:
            raise ApiError(401, MISSING_CREDENTIALS_MESSAGE, headers=challenge)
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            caller = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if caller is None or caller.expires_at < time.time():
            raise ApiError(
                401,
                headers={
                    **challenge,
                    "WWW-Authenticate": (
                        'Bearer realm="https://accounts.google.com/", error="invalid_token"'
                    ),
                },
            )
        return caller
