"""Helpers for tests: service-account keys that work with the emulator, and gspread clients."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from .client import redirect_session_to_emulator


def make_service_account_info(
    email: str, token_uri: str = "https://oauth2.googleapis.com/token"
) -> dict[str, Any]:
    """A well-formed service-account key (as the Cloud console downloads) with a fresh RSA key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    project = email.split("@", 1)[-1].split(".", 1)[0] or "emulator-project"
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": str(10**20 + secrets.randbelow(9 * 10**20)),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": (
            "https://www.googleapis.com/robot/v1/metadata/x509/" + email.replace("@", "%40")
        ),
        "universe_domain": "googleapis.com",
    }


def emulator_gspread_client(
    host_port: str, info: Mapping[str, Any], scopes: Iterable[str] | None = None
):
    """A real gspread.Client for the key, with every Google call sent to the emulator."""
    import gspread
    from google.oauth2.service_account import Credentials

    info = {**info, "token_uri": f"http://{host_port}/token"}
    credentials = Credentials.from_service_account_info(
        info, scopes=list(scopes or gspread.auth.DEFAULT_SCOPES)
    )
    client = gspread.Client(auth=credentials)
    redirect_session_to_emulator(client.http_client.session, host_port)
    return client
