"""The Snov.io connection form as a person meets it: Airflow's own UI in a real browser, tested against the sandbox.

One run, end to end: ``airflow api-server`` on a private, migrated ``AIRFLOW_HOME`` with connection testing on;
Debian's Chromium (headless, loopback only) opens Admin -> Connections -> Add, chooses **Snov.io**, sees the
relabelled and hidden fields and the extra fields, saves the connection with a mistyped secret, presses
**Test** and reads a clear failure with no secret anywhere in the page, corrects the secret, presses **Test**
again and reads the success that the provider's ``test_connection`` produced from real sandbox requests.

Airflow 3.3.2 quirk (apache/airflow#73298): the list's Test button posts ``port: Number(null)``, i.e. ``0``, and
the API compares that with the stored NULL port, takes it for another destination and answers 400 for every
connection without a port - which every Snov.io connection is (its port field is hidden). Where the server still
answers that 400 (asked once, directly), the test rewrites ``port: 0`` to ``null`` in the Test button's request,
exactly the normalisation the upstream fix does server-side; everything else is untouched.

The screenshot lands in the test's temporary folder; ``SNOVIO_UPDATE_SCREENSHOTS=1`` also writes it to
``docs/connection-form.png`` (not on every run: the sandbox's port in the form changes the picture).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.e2e.api_server import AirflowApiServer
from tests.e2e.browser import VIEWPORT, chromium_context

pytestmark = pytest.mark.slow

CONN_ID = "snovio_ui"
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "connection-form.png"
UI_TIMEOUT_MS = 30_000


@pytest.fixture
def airflow_api_server(tmp_path: Path) -> Iterator[AirflowApiServer]:
    """A running Airflow API server on its own AIRFLOW_HOME; stopped (whole process group) even on failure."""
    with AirflowApiServer(tmp_path / "airflow-home") as server:
        yield server


def _airflow_rejects_portless_test(page: Page, api_base_url: str, sandbox_url: str) -> bool:
    """True where the server takes the UI's ``port: 0`` for another endpoint (Airflow before #73298).

    Asked of the server itself, with the body the list's Test button sends, so the workaround disappears
    by itself once the installed Airflow has the fix.
    """
    response = page.request.post(
        f"{api_base_url}/api/v2/connections/test",
        data={
            "connection_id": CONN_ID,
            "conn_type": "snovio",
            "host": sandbox_url,
            "port": 0,
            "password": "***",
        },
    )
    return response.status == 400 and "differs from the stored connection" in response.text()


def _send_blank_port(route: Route) -> None:
    body = json.loads(route.request.post_data or "{}")
    if body.get("port") == 0:
        body["port"] = None
    route.continue_(post_data=json.dumps(body))


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def _assert_no_secret(page: Page, *secret_values: str) -> None:
    html, text = page.content(), page.inner_text("body")
    for value in secret_values:
        assert value not in html, "a client secret appears in the page's HTML"
        assert value not in text, "a client secret appears in the page's text"


def _press_test(page: Page) -> None:
    row = page.get_by_role("row").filter(has_text=CONN_ID)
    row.get_by_role("button", name="Test Connection").click()


def test_snovio_connection_form(
    airflow_api_server: AirflowApiServer, snovio_sandbox: SandboxServer, tmp_path: Path
) -> None:
    wrong_secret = f"mistyped-{secrets.token_hex(8)}"
    right_secret = snovio_sandbox.client_secret
    screenshot = tmp_path / "connection-form.png"

    with chromium_context(tmp_path / "chromium-profile") as context:
        page = context.new_page()
        page.goto(f"{airflow_api_server.base_url}/connections", timeout=60_000)

        # Admin -> Connections -> Add, type Snov.io.
        page.get_by_role("button", name="Add Connection").click(timeout=60_000)
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_role("heading", name="Add Connection")).to_be_visible()
        dialog.get_by_label("Connection ID").fill(CONN_ID)
        dialog.get_by_role("combobox", name="Connection Type").fill("Snov")
        page.get_by_role("option", name="Snov.io", exact=True).click()

        # Standard fields: relabelled, with our placeholders; schema and port hidden.
        expect(dialog.get_by_role("button", name="Standard Fields")).to_be_visible()
        for label, placeholder in (
            ("API base URL", "https://api.snov.io"),
            ("Client ID", "Client ID from Snov.io account settings"),
            ("Client Secret", "Client Secret from Snov.io account settings"),
        ):
            expect(dialog.get_by_label(label, exact=True)).to_have_attribute("placeholder", placeholder)
        expect(dialog.get_by_label("Client Secret", exact=True)).to_have_attribute("type", "password")
        labels = {re.sub(r"\s*\*$", "", t).strip() for t in dialog.locator("label:visible").all_inner_texts()}
        assert labels == {
            "Connection ID",
            "Connection Type",
            "Description",
            "API base URL",
            "Client ID",
            "Client Secret",
        }, labels
        for generic in ("Host", "Login", "Password", "Schema", "Port", "Extra"):
            expect(dialog.get_by_label(generic, exact=True)).to_have_count(0)
        # Airflow 3.3's React form has no standard "Extra" field to hide, and always offers the raw
        # "Extra Fields JSON" editor, whatever hidden-fields says.
        expect(dialog.get_by_role("button", name="Extra Fields JSON")).to_be_visible()

        # A person mistypes the secret.
        dialog.get_by_label("API base URL", exact=True).fill(snovio_sandbox.base_url)
        dialog.get_by_label("Client ID", exact=True).fill(snovio_sandbox.client_id)
        dialog.get_by_label("Client Secret", exact=True).fill(wrong_secret)

        # The conn-fields extras, with their defaults.
        dialog.get_by_role("button", name="Extra Fields", exact=True).click()
        for label, value in (("Requests per minute", "60"), ("Timeout (s)", "30"), ("Max retries", "5")):
            expect(dialog.get_by_label(label, exact=True)).to_have_value(value)
        # Airflow renders a nullable string conn-field without tying its label to the input: find it by its group.
        # The backend URL may carry the Redis password, so it is a password input.
        backend = dialog.get_by_role("group").filter(has_text="Rate limit backend")
        expect(backend.locator("input")).to_have_attribute("type", "password")
        expect(backend.locator("input")).to_have_value("")
        expect(backend).to_contain_text("redis://host:port/db: shared by every worker")
        for label in ("Finder quota per hour", "Verifier quota per hour"):
            expect(dialog.get_by_role("group").filter(has_text=label).locator("input")).to_have_value("")

        dialog.get_by_role("button", name="Standard Fields").click()
        expect(dialog.get_by_label("Client ID", exact=True)).to_have_value(snovio_sandbox.client_id)
        page.screenshot(path=str(screenshot))

        dialog.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Connection has been successfully created.")).to_be_visible()
        expect(page.get_by_role("row").filter(has_text=CONN_ID)).to_contain_text(snovio_sandbox.base_url)

        if _airflow_rejects_portless_test(page, airflow_api_server.base_url, snovio_sandbox.base_url):
            page.route("**/api/v2/connections/test", _send_blank_port)

        # Test with the wrong secret: a clear failure, no secret in the page.
        _press_test(page)
        expect(page.get_by_text("Test Connection Failed")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.get_by_text("invalid client_id or client_secret")).to_be_visible()
        _assert_no_secret(page, wrong_secret, right_secret)

        # Correct the secret in the edit form and test again: success, from the sandbox.
        tokens_before = snovio_sandbox.stats()["tokens_issued"]
        page.get_by_role("row").filter(has_text=CONN_ID).get_by_role("button", name="Edit Connection").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_role("heading", name="Edit Connection")).to_be_visible()
        dialog.get_by_label("Client Secret", exact=True).fill(right_secret)
        dialog.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Connection has been successfully updated.")).to_be_visible()
        _press_test(page)
        expect(page.get_by_text("Test Connection Successful")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.get_by_text(re.compile(r"Connected to Snov\.io; balance: [\d.]+ credits"))).to_be_visible()
        _assert_no_secret(page, wrong_secret, right_secret)

    stats = snovio_sandbox.stats()
    assert stats["unauthorized"] >= 1, stats  # the mistyped secret reached the sandbox and was refused
    assert stats["tokens_issued"] > tokens_before, stats  # the success came from a real token request
    assert stats["credits_spent"] == 0, stats  # testing a connection is free

    assert _png_size(screenshot) == (VIEWPORT["width"], VIEWPORT["height"])
    if os.environ.get("SNOVIO_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(screenshot, DOCS_SCREENSHOT)
