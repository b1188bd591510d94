"""What the browser tests share: the browser's settings, axe-core, and layout checks."""

from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing the browser would fetch by itself: the tests run with no internet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEVICES = {
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

# axe-core's own scale; WCAG 2.1 AA failures are rated serious or critical.
BLOCKING_IMPACTS = ("serious", "critical")


def device_of(page: Page) -> str:
    """Which of DEVICES a page was opened on, from its viewport."""
    return "phone" if page.viewport_size["width"] < 600 else "desktop"


def check_a11y(page: Page) -> None:
    """Run axe-core inside the page: no serious or critical violation of any rule."""
    violations = Axe().run(page).response["violations"]
    lines = [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in violations
    ]
    if lines:
        # Lesser findings do not fail the test, but are worth seeing in its output.
        print(f"axe on {page.url}:\n  " + "\n  ".join(lines))
    blocking = [line for line in lines if line.startswith(BLOCKING_IMPACTS)]
    assert not blocking, f"axe on {page.url}:\n  " + "\n  ".join(blocking)


def assert_no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the screen: nothing to scroll sideways to."""
    # Not window.innerWidth: on a phone Chromium widens it to fit a page that overflows
    # (486 px for a 360 px screen), so that comparison could never fail there.
    wide, screen = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert screen <= page.viewport_size["width"]
    assert wide <= screen, f"{page.url} is {wide} px wide on a {screen} px screen"
