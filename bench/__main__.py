"""python -m bench: every scenario and the render timings in one run, as a Markdown report."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from . import render, report, scenarios
from .servers import Emulator

log = logging.getLogger("bench")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load the naive gspread app and the site on the Sheets API emulator "
        "(loopback only), time the week's parse and render, and judge the targets.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs (5 s each, 3 signups): a smoke test"
    )
    parser.add_argument("--seconds", type=float, help="measured seconds per scenario (15)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--latency-ms", type=int, default=200, help="emulator latency (200)")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--no-render", action="store_true", help="skip the render timings")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--strict", action="store_true", help="exit with 1 when a target is not met"
    )
    parser.add_argument("--log-level", default="INFO", help="progress goes to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with --strict, 1 if a target is not met."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr
    )
    settings = scenarios.LoadSettings(clients=args.clients, latency_ms=args.latency_ms)
    if args.quick:
        settings.warmup_seconds, settings.seconds, settings.signups = 1.0, 5.0, 3
    if args.seconds:
        settings.seconds = args.seconds
    chosen = [
        s
        for s in scenarios.SCENARIOS
        if not args.only or args.only.lower() in s.name.lower() or s.naive and not s.reference
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="sumo-bench-") as folder:
        emulator = Emulator(Path(folder), settings.latency_ms)
        try:
            for scenario in chosen:
                try:
                    outcomes.append(scenarios.run(scenario, emulator, settings, Path(folder)))
                except RuntimeError as error:  # a server that would not start: say so, go on
                    log.exception("%s failed", scenario.name)
                    outcomes.append(scenarios.Outcome(scenario, skipped=f"failed: {error}"[:200]))
        finally:
            emulator.stop()
    timings = []
    if not args.no_render:
        log.info("timing parse and render at %s rows", ", ".join(map(str, render.SIZES)))
        timings = render.run(repeats=3 if args.quick else 7)
    text = report.markdown(outcomes, timings, settings, when)
    sys.stdout.write(text)
    if args.output:
        args.output.write_text(text)
    missed = [t for t in report.targets(outcomes, timings) if not t.met]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
