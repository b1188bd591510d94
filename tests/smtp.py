"""A real SMTP server (aiosmtpd) in the test process, keeping every message it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from icalendar import Calendar


@dataclass
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class Inbox:
    """The server's handler: accepts any login, and keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.logins: list[tuple[str, str]] = []
        # Set to an SMTP reply such as "554 5.7.1 Rejected" to refuse messages.
        self.refuse_with: str | None = None
        self.host = "127.0.0.1"
        self.port = 0

    @property
    def messages(self) -> list[EmailMessage]:
        """The messages received, in order."""
        return [r.message for r in self.received]

    @property
    def config(self) -> dict[str, object]:
        """App settings that send mail to this server."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port}

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refuse_with:
            return self.refuse_with
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


def free_port() -> int:
    """A TCP port nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(name="smtp_server")
def smtp_server_fixture() -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 and a free port, for the length of one test."""
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(
        inbox,
        hostname=inbox.host,
        port=inbox.port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,  # plain connections in tests; production uses TLS
    )
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def body_text(message: EmailMessage) -> str:
    """The plain-text body, with the line ends SMTP gave it (CRLF) turned back into newlines."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def ics_attachment(message: EmailMessage) -> tuple[EmailMessage, Calendar]:
    """The one text/calendar attachment, and its calendar parsed with icalendar."""
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part, Calendar.from_ical(part.get_payload(decode=True))
