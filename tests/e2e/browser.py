"""Debian's Chromium driven by Playwright: headless, a fresh profile, and nothing but loopback.

Why the system browser: ``playwright install`` downloads browser builds, which neither CI nor a developer's
machine may do; the ``playwright`` wheel carries only the driver, and ``scripts/system-deps.sh`` installs
Debian's ``chromium``. Every request to a host other than loopback is aborted, so a test can never depend
on (or leak anything to) the internet.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
VIEWPORT = {"width": 1280, "height": 900}


def _loopback_only(route: Route) -> None:
    url = urlsplit(route.request.url)
    if url.scheme in {"data", "blob", "about"} or url.hostname in LOOPBACK_HOSTS:
        route.fallback()
    else:
        route.abort("blockedbyclient")


@contextmanager
def chromium_context(profile_dir: Path) -> Iterator[BrowserContext]:
    """A headless Chromium with a new user-data-dir at ``profile_dir``, closed on exit."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            context.set_default_timeout(30_000)
            context.route("**/*", _loopback_only)
            yield context
        finally:
            context.close()
