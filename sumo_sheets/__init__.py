"""SUMO Live Chat signup: volunteers sign up for roles in time slots kept in a shared sheet."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from .storage import Storage


def create_app(test_config: dict[str, Any] | None = None, storage: Storage | None = None) -> Flask:
    """Build the site: config, storage backend, forms' CSRF, security headers, pages and CLI."""
    from . import security

    # Before the app exists, so that FLASK_DEBUG in .env counts as it does for `flask run`.
    security.load_env_file()
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    os.makedirs(app.instance_path, exist_ok=True)

    from .config import load_config

    load_config(app, test_config)

    from flask_wtf.csrf import CSRFProtect

    from .sheet_format import TAB_SPECS
    from .storage import open_storage

    backend = storage or open_storage(app.config, TAB_SPECS)
    app.extensions["sumo_storage"] = backend
    _first_start(backend)
    _install_reader(app, backend)

    from .outbox import Outbox
    from .tokens import ManageLinks

    links = ManageLinks.from_config(app.config)
    app.extensions["sumo_links"] = links
    app.extensions["sumo_outbox"] = Outbox.from_config(app.config, links.contact_hash)
    from . import notices

    notices.install(app)
    csrf = CSRFProtect(app)
    security.install(app)

    from . import cli, limits, logs, web

    web.register(app, csrf)
    limits.init_app(app)
    logs.install_request_log(app)
    app.cli.add_command(cli.sheet)
    app.cli.add_command(cli.reminders)
    app.cli.add_command(cli.links)
    return app


def _install_reader(app: Flask, backend: Storage) -> None:
    """The sheet reader the pages share, with the settler of uncertain signups."""
    from .config import cache_seconds, shared_cache
    from .services import RequestLocks, Settler, SheetReader, SignupRecord, UncertainLedger

    clock = app.config.get("CLOCK") or (lambda: datetime.now(UTC))
    # Host-wide state shared by the worker processes: the ledger of signups that could not
    # be confirmed, and the locks that make copies of one form take turns.
    state = Path(app.config.get("RUN_STATE_FOLDER") or app.instance_path)
    ledger = UncertainLedger(state / "uncertain-signups.json", clock)
    # The web layer may set ``app.extensions["sumo_settler"].on_settled`` to tell volunteers.
    settler = Settler(ledger, clock=clock, lock_folder=state / "locks")
    app.extensions["sumo_settler"] = settler
    # The signups the site confirmed and the status changes it made, for `sheet audit`; it
    # keeps the rows' cells (contacts too), so it stays in the instance folder, mode 600.
    record_file = app.config.get("SIGNUP_RECORD_FILE") or "signup-record.jsonl"
    record = SignupRecord(Path(app.instance_path) / str(record_file), clock)
    app.extensions["sumo_record"] = record
    app.extensions["sumo_reader"] = SheetReader(
        backend,
        clock,
        ttl_seconds=cache_seconds(app.config, backend),
        shared=shared_cache(app),
        settler=settler,
        ledger=ledger,
        request_locks=RequestLocks(state / "locks" / "forms"),
        last_good_store=_last_good_store(backend),
        record=record,
    )


def _first_start(backend: Storage) -> None:
    """Make the workbook on a first start with none there (several workers may race: the
    file lock settles it). A workbook the site used before is not made again: see
    WorkbookStorage.create_if_missing."""
    create = getattr(backend, "create_if_missing", None)
    if create is None:
        return
    from .storage import StorageError

    try:
        create(first_start=True)
    except StorageError as error:  # the site still starts; pages and /healthz say why
        logging.getLogger(__name__).error(
            "workbook not checked: %s %s", error.message, error.detail
        )


def _last_good_store(backend: Storage) -> Any:
    """Where the processes of a workbook site share the last good copy: beside the workbook."""
    path = getattr(backend, "last_good_path", None)
    if path is None:
        return None
    from .cache import LastGoodFile

    return LastGoodFile(path)
