"""Errors in the JSON shapes Google's APIs use, so clients parse them as they would Google's."""

from __future__ import annotations

from typing import Any

# Google's canonical status names for the HTTP codes the emulator answers with.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# The messages Google sends for errors that carry no request-specific detail.
DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}

MISSING_CREDENTIALS_MESSAGE = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class ApiError(Exception):
    """An error answered to the client as Google's `{"error": {...}}` body."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        status: str | None = None,
        *,
        details: list[dict[str, Any]] | None = None,
        drive_reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, "Unknown error.")
        self.status = status or STATUS_NAMES.get(code, "UNKNOWN")
        self.details = details
        # Drive v3 errors carry an `errors` list with a reason; Sheets errors carry a status.
        self.drive_reason = drive_reason
        self.headers = headers or {}
        super().__init__(f"{self.code} {self.status}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON body Google would send for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.drive_reason:
            error["errors"] = [
                {"message": self.message, "domain": "global", "reason": self.drive_reason}
            ]
        else:
            error["status"] = self.status
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str) -> ApiError:
    """A 400 INVALID_ARGUMENT with Google's wording passed in."""
    return ApiError(400, message)


def unable_to_parse_range(text: str) -> ApiError:
    """Google's answer to a range naming no existing tab or not in A1 notation."""
    return ApiError(400, f"Unable to parse range: {text}")


def not_found() -> ApiError:
    """Google's answer to an unknown spreadsheet id."""
    return ApiError(404)


def permission_denied() -> ApiError:
    """Google's answer to a spreadsheet the caller may not see or change."""
    return ApiError(403)


def drive_file_not_found(file_id: str) -> ApiError:
    """Drive's answer to a file that does not exist or the caller cannot see."""
    return ApiError(404, f"File not found: {file_id}.", drive_reason="notFound")


def drive_insufficient_permissions() -> ApiError:
    """Drive's answer when the caller may see a file but not do this to it."""
    return ApiError(
        403,
        "The user does not have sufficient permissions for this file.",
        drive_reason="insufficientFilePermissions",
    )


def insufficient_scopes() -> ApiError:
    """Google's answer when the access token lacks the scope the method needs."""
    return ApiError(
        403,
        "Request had insufficient authentication scopes.",
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
            }
        ],
    )
