"""A bounded load generator for 127.0.0.1: page views from concurrent clients, then signups.

Page load is closed-loop: each client sends its next request when the last one is answered,
over one keep-alive connection. http.client rather than requests, because it is lighter:
the clients used about 7 % of a core at 400 pages/s, leaving the 2 cores to the server.
"""

from __future__ import annotations

import http.client
import logging
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from urllib.parse import urlsplit

import requests

from tests.reliability import _HIDDEN

log = logging.getLogger(__name__)

PAGES = ("/", "/api/week")
READ_METHODS = (
    "spreadsheets.values.get",
    "spreadsheets.values.batchGet",
    "spreadsheets.get",
)
# The site's storage fetches the tab list on its first call in each process, then keeps it.
TAB_LIST = "spreadsheets.get"
# Not Sheets API calls: token fetches, and the counters' own sum.
NOT_SHEETS = ("oauth2.token", "total")


@dataclass
class PageLoad:
    """What the clients saw during one timed run of page views."""

    clients: int
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PAGES})

    @property
    def responses(self) -> int:
        """Answers received, whatever their status."""
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        """Pages served (2xx)."""
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def throttled(self) -> int:
        """Answers with 429 Too Many Requests."""
        return self.statuses.get(429, 0)

    @property
    def server_errors(self) -> int:
        """Answers with a 5xx status."""
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def ok_per_second(self) -> float:
        """Pages served per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, path: str, share: float) -> float:
        """The latency under which ``share`` of the answers to ``path`` came, in ms."""
        values = sorted(self.latencies[path])
        if not values:
            return float("nan")
        if len(values) == 1:
            return values[0] * 1000
        return (
            statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1] * 1000
        )


def page_load(base_url: str, clients: int, seconds: float) -> PageLoad:
    """``clients`` clients alternating / and /api/week for ``seconds``; every answer counted."""
    parts = urlsplit(base_url)
    if parts.hostname != "127.0.0.1":
        raise ValueError("the load generator only sends to 127.0.0.1")
    result = PageLoad(clients)
    lock = threading.Lock()
    began = time.monotonic()
    deadline = began + seconds

    def client(number: int) -> None:
        """One client's loop, on one keep-alive connection."""
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        statuses: Counter = Counter()
        latencies: dict[str, list[float]] = {p: [] for p in PAGES}
        errors = 0
        sent = number  # clients start on different pages, so the mix is even at every moment
        while time.monotonic() < deadline:
            path = PAGES[sent % len(PAGES)]
            sent += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                reply = connection.getresponse()
                reply.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()  # the next request opens a new connection
                time.sleep(0.05)  # a refused connection must not become a busy loop
                continue
            latencies[path].append(time.perf_counter() - started)
            statuses[reply.status] += 1
        connection.close()
        with lock:
            result.statuses.update(statuses)
            result.connection_errors += errors
            for path in PAGES:
                result.latencies[path].extend(latencies[path])

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    result.seconds = time.monotonic() - began
    return result


@dataclass(frozen=True)
class SignupPlan:
    """One signup: who, which role, from which UTC hour, for how long."""

    number: int
    role: str
    start: datetime
    hours: int

    @property
    def form(self) -> dict[str, str]:
        """The form fields a volunteer fills in."""
        return {
            "name": f"Bench volunteer {self.number}",
            "contact": f"bench{self.number}@example.org",
            "role": self.role,
            "start": self.start.strftime("%Y-%m-%dT%H:%MZ"),
            "hours": str(self.hours),
            "note": "",
        }


# (weekday, UTC hour, role, hours): each inside a block of the default schedule, none full.
_PLANS = (
    (0, 14, "helper", 2),
    (0, 16, "advisor", 1),
    (1, 14, "monitor", 1),
    (1, 16, "helper", 3),
    (2, 15, "advisor", 1),
    (2, 17, "monitor", 2),
    (3, 14, "helper", 1),
    (3, 18, "advisor", 1),
    (4, 16, "monitor", 1),
    (5, 15, "helper", 2),
)


def signup_plans(monday: date, count: int) -> list[SignupPlan]:
    """Up to ten distinct signups that fit, in the week of ``monday`` (an empty week)."""
    plans = []
    for number, (weekday, hour, role, hours) in enumerate(_PLANS[:count]):
        start = datetime.combine(monday + timedelta(days=weekday), clock_time(hour), tzinfo=UTC)
        plans.append(SignupPlan(number, role, start, hours))
    return plans


@dataclass
class SignupResult:
    """One signup as sent, answered and paid for in Sheets API calls."""

    plan: SignupPlan
    status: int
    seconds: float
    calls: Counter  # Sheets API calls during the POST, by method
    form_calls: int = 0  # Sheets API calls for the form page before it

    @property
    def succeeded(self) -> bool:
        """The site redirected to the confirmation (303)."""
        return self.status == 303

    @property
    def total_calls(self) -> int:
        """Sheets API calls the POST cost."""
        return sum(self.calls.values())

    @property
    def warm_calls(self) -> int:
        """The calls less a tab-list fetch, which a site process makes once in its life."""
        return self.total_calls - self.calls.get(TAB_LIST, 0)


def _sheets_calls(before: dict[str, int], after: dict[str, int]) -> Counter:
    """Sheets API calls between two counter snapshots, by method."""
    return Counter(
        {
            method: after[method] - before.get(method, 0)
            for method in after
            if method not in NOT_SHEETS and after[method] > before.get(method, 0)
        }
    )


def signups(base_url: str, plans: list[SignupPlan], counts, with_form: bool) -> list[SignupResult]:
    """Send the signups one by one, ``counts()`` (the emulator's counters) read around each."""
    # On the site a volunteer opens the form first, for its CSRF token and request key; the
    # naive app has no form page and takes the POST alone.
    results = []
    for plan in plans:
        session = requests.Session()
        fields = plan.form
        form_calls = 0
        if with_form:
            before = counts()
            params = {"role": plan.role, "start": fields["start"]}
            page = session.get(f"{base_url}/signup", params=params, timeout=60)
            fields.update(_HIDDEN.findall(page.text))
            form_calls = sum(_sheets_calls(before, counts()).values())
        before = counts()
        started = time.perf_counter()
        reply = session.post(f"{base_url}/signup", data=fields, allow_redirects=False, timeout=60)
        seconds = time.perf_counter() - started
        calls = _sheets_calls(before, counts())
        results.append(SignupResult(plan, reply.status_code, seconds, calls, form_calls))
        if reply.status_code != 303:
            log.warning("signup %s answered %s", plan, reply.status_code)
        session.close()
    return results
