"""The benchmark's Markdown: the load table, the render table, and each target met or not."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .load import TAB_LIST
from .render import RenderTiming
from .scenarios import LoadSettings, Outcome

# The targets.
THROUGHPUT_RATIO = 100
READS_PER_VIEW = 0.05
CALLS_PER_SIGNUP = 2
RENDER_ROWS = 10_000
RENDER_MS = 100


@dataclass
class Target:
    """One target: what it asks, what was measured, and whether it was met."""

    name: str
    met: bool
    measured: str


def _number(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def _ratio(value: float, baseline: float) -> str:
    if not baseline:
        return "–"
    return f"{value / baseline:,.0f}×" if value / baseline >= 10 else f"{value / baseline:.1f}×"


def baseline(outcomes: list[Outcome]) -> Outcome | None:
    """The naive app with quotas on: what every ratio is taken against."""
    return next(
        (o for o in outcomes if o.scenario.naive and not o.scenario.reference and o.page_load),
        None,
    )


def load_table(outcomes: list[Outcome]) -> str:
    """One row per scenario: throughput, latency, failures, API calls."""
    base = baseline(outcomes)
    base_rate = base.page_load.ok_per_second() if base else 0.0
    header = (
        "| scenario | pages/s (2xx) | × naive | `/` p50 / p95 ms | `/api/week` p50 / p95 ms "
        "| 429 | 5xx | conn. errors | API 429s retried | API reads / page view "
        "| API calls / signup (POST) | signups ok |"
    )
    lines = [header, "|---" + "|---:" * 11 + "|"]
    for outcome in outcomes:
        name = outcome.scenario.name
        if outcome.skipped:
            lines.append(f"| {name} | skipped: {outcome.skipped} |" + " |" * 10)
            continue
        pages = outcome.page_load
        rate = pages.ok_per_second()
        calls = outcome.signup_calls()
        per_signup = (
            f"{sum(calls) / len(calls):.1f} (max {max(calls)})" if calls else "– (none saved)"
        )
        form_calls = [s.form_calls for s in outcome.signups if s.succeeded]
        if not outcome.scenario.naive and form_calls:
            per_signup += f"; form page {sum(form_calls) / len(form_calls):.1f}"
        ok_signups = sum(s.succeeded for s in outcome.signups)
        upstream = "–" if outcome.scenario.naive else str(outcome.upstream_429)
        lines.append(
            f"| {name} | {_number(rate)} | {_ratio(rate, base_rate)} "
            f"| {_number(pages.percentile_ms('/', 0.5), 0)} / "
            f"{_number(pages.percentile_ms('/', 0.95), 0)} "
            f"| {_number(pages.percentile_ms('/api/week', 0.5), 0)} / "
            f"{_number(pages.percentile_ms('/api/week', 0.95), 0)} "
            f"| {pages.throttled} | {pages.server_errors} | {pages.connection_errors} "
            f"| {upstream} | {_number(outcome.reads_per_page_view, 3)} "
            f"| {per_signup} | {ok_signups}/{len(outcome.signups)} |"
        )
    return "\n".join(lines)


def _signup_spread(outcome: Outcome) -> str:
    """How many signups cost how many calls, and what the calls were."""
    saved = [s for s in outcome.signups if s.succeeded]
    spread = Counter(s.warm_calls for s in saved)
    methods: Counter = Counter()
    for signup in saved:
        methods.update(signup.calls)
    parts = [f"{n} of {len(saved)} saved cost {calls}" for calls, n in sorted(spread.items())]
    kinds = ", ".join(
        f"{count} {method.removeprefix('spreadsheets.')}" for method, count in methods.items()
    )
    text = "; ".join(parts) + f" (in all: {kinds})"
    if methods.get(TAB_LIST):
        text += (
            f"; not counted: {methods[TAB_LIST]} tab-list fetch(es) (`{TAB_LIST}`) by worker "
            "processes calling the API for the first time"
        )
    unsaved = len(outcome.signups) - len(saved)
    return text + (f"; {unsaved} not saved" if unsaved else "")


def render_table(timings: list[RenderTiming]) -> str:
    """Parse and render medians per sheet size."""
    lines = [
        "| signup rows | rows in the week | parse ms (first run) | parse ms "
        "| week view + render ms | total ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        lines.append(
            f"| {t.rows:,} | {t.week_rows:,} | {t.first_parse_ms:.1f} | {t.parse_ms:.1f} "
            f"| {t.render_ms:.1f} | {t.total_ms:.1f} |"
        )
    return "\n".join(lines)


def targets(outcomes: list[Outcome], timings: list[RenderTiming]) -> list[Target]:
    """Each of the issue's targets, judged on this run's figures, for every site row."""
    base = baseline(outcomes)
    sites = [o for o in outcomes if not o.scenario.naive and o.page_load]
    found: list[Target] = []
    base_rate = base.page_load.ok_per_second() if base else 0.0
    for site in sites:
        rate = site.page_load.ok_per_second()
        ratio = rate / base_rate if base_rate else float("nan")
        found.append(
            Target(
                f"≥{THROUGHPUT_RATIO}× the naive app's page throughput — {site.scenario.name}",
                bool(base_rate) and ratio >= THROUGHPUT_RATIO,
                f"{ratio:,.0f}× ({rate:,.1f} vs {base_rate:,.2f} pages/s)",
            )
        )
    for site in sites:
        reads = site.reads_per_page_view
        found.append(
            Target(
                f"≤{READS_PER_VIEW} API reads per page view — {site.scenario.name}",
                reads <= READS_PER_VIEW,
                f"{reads:.4f} ({READS_PER_VIEW / reads:,.0f}× under the limit)" if reads else "0",
            )
        )
    for site in sites:
        calls = [s.warm_calls for s in site.signups if s.succeeded]
        worst = max(calls) if calls else None
        found.append(
            Target(
                f"≤{CALLS_PER_SIGNUP} API calls per successful signup — {site.scenario.name}",
                worst is not None and worst <= CALLS_PER_SIGNUP,
                _signup_spread(site) if calls else f"no signup saved of {len(site.signups)}",
            )
        )
    at_size = next((t for t in timings if t.rows == RENDER_ROWS), None)
    if at_size is not None:
        found.append(
            Target(
                f"week render (view + template, what a page pays from the cache) at "
                f"{RENDER_ROWS:,} rows < {RENDER_MS} ms",
                at_size.render_ms < RENDER_MS,
                f"{at_size.render_ms:.0f} ms; {at_size.render_ms / RENDER_MS:.2f}× the limit",
            )
        )
        found.append(
            Target(
                f"week parse + render (a page that must parse the sheet too) at "
                f"{RENDER_ROWS:,} rows < {RENDER_MS} ms",
                at_size.total_ms < RENDER_MS,
                f"{at_size.total_ms:.0f} ms (parse {at_size.parse_ms:.0f}); "
                f"{at_size.total_ms / RENDER_MS:.2f}× the limit",
            )
        )
    if base is not None:
        throttled = base.page_load.throttled
        site_429 = {o.scenario.name: o.page_load.throttled + o.upstream_429 for o in sites}
        found.append(
            Target(
                "no 429s for the site at a load where the naive app is throttled",
                throttled > 0 and bool(sites) and not any(site_429.values()),
                f"naive: {throttled} × 429; site: "
                + ", ".join(f"{n}: {c}" for n, c in site_429.items()),
            )
        )
    return found


def markdown(
    outcomes: list[Outcome],
    timings: list[RenderTiming],
    settings: LoadSettings,
    when: str,
) -> str:
    """The whole report."""
    parts = [
        f"Run of {when}: emulator latency {settings.latency_ms} ms a call, Google's "
        f"per-minute quotas on (except the reference row); {settings.clients} clients "
        f"alternating `/` and `/api/week` for {settings.seconds:.0f} s after "
        f"{settings.warmup_seconds:.0f} s of warm-up; {settings.signups} signups one by one.",
        "",
        load_table(outcomes),
    ]
    parts += ["", "Sheets API calls during each measured page load, by method:", ""]
    for outcome in outcomes:
        if outcome.page_load is not None:
            calls = ", ".join(
                f"{count} {method.removeprefix('spreadsheets.')}"
                for method, count in sorted(outcome.page_calls.items())
                if method != "total"
            )
            parts.append(
                f"- {outcome.scenario.name}: {calls or 'none'} "
                f"for {outcome.page_load.responses:,} answers"
            )
    for outcome in outcomes:
        if outcome.redis_stats is not None:
            stats = outcome.redis_stats
            parts += [
                "",
                f"Redis ({outcome.scenario.name}): {stats['hits']:,} hits, "
                f"{stats['misses']:,} misses, {stats['keys']} key(s) at the end.",
            ]
    if timings:
        parts += ["", render_table(timings)]
    parts += ["", "Targets:", ""]
    for target in targets(outcomes, timings):
        parts.append(f"- {'met' if target.met else 'NOT met'}: {target.name}: {target.measured}")
    return "\n".join(parts) + "\n"
