"""Command line: python -m sumo_sheets.emulator --host 127.0.0.1 --port 8085."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from .dev import DEV_SHEET_ID

log = logging.getLogger("sumo_sheets.emulator")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sumo_sheets.emulator",
        description="Serve an offline emulator of the Google Sheets API v4 (plus the Drive and "
        "OAuth calls gspread makes).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8085, help="port (0 picks a free one)")
    parser.add_argument("--latency-ms", type=float, default=0, help="delay added to every API call")
    parser.add_argument(
        "--jitter-ms", type=float, default=0, help="random extra delay, up to this much"
    )
    parser.add_argument(
        "--state-file", help="JSON file to load spreadsheets from and save them to after writes"
    )
    parser.add_argument(
        "--quotas", action="store_true", help="enforce Google's per-minute request quotas"
    )
    parser.add_argument(
        "--dev-instance",
        metavar="FOLDER",
        help="for running the site without a Google account: write FOLDER/credentials.json "
        f"(a generated key) if missing and create the spreadsheet {DEV_SHEET_ID!r} it can edit",
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG logs every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from .app import create_emulator_app
    from .server import make_emulator_server

    app = create_emulator_app(
        state_file=args.state_file,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        quotas=args.quotas,
    )
    server = make_emulator_server(args.host, args.port, app)
    if args.dev_instance:
        from .app import EXTENSION_KEY
        from .dev import ensure_dev_key, ensure_dev_sheet

        owner = ensure_dev_key(Path(args.dev_instance) / "credentials.json")
        ensure_dev_sheet(app.extensions[EXTENSION_KEY].state, owner)
        log.info(
            "For the site: export SHEETS_EMULATOR_HOST=%s:%s SUMO_SHEET_ID=%s",
            args.host,
            server.port,
            DEV_SHEET_ID,
        )
    log.info(
        "Sheets API emulator on http://%s:%s (set SHEETS_EMULATOR_HOST=%s:%s)%s%s",
        args.host,
        server.port,
        args.host,
        server.port,
        f", state file {args.state_file}" if args.state_file else "",
        ", quotas on" if args.quotas else "",
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("Stopped")
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
