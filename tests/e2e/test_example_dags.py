"""Every DAG of ``dags_examples/`` through ``airflow dags test`` against the sandbox, once each.

The runs use the shared harness of ``tests/e2e/conftest.py`` (a migrated SQLite metadata DB, one
``airflow dags test`` subprocess per DAG). ``snovio_warehouse`` is a SQLite file and a PostgreSQL 15 database
(the warehouse tests' private server) in turn; the reporting DAG runs on PostgreSQL here and on SQLite in
``tests/e2e/test_demo.py``. Each test
asserts what the DAG is for - rows in the warehouse, the list, the do-not-email items or the webhooks in
the sandbox - not only that the run succeeded.

A ``DeprecationWarning`` attributed to our code (any ``airflow_provider_snovio`` module or an example DAG
file) is an error in those processes: ``PYTHONWARNINGS`` names every such module (its module field is
matched exactly, so each is listed), which also stops Airflow from installing its own "default" filter.
The DagBag test loads the folder with the same rule and requires zero import errors.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import airflow_provider_snovio
from airflow_provider_snovio.sandbox.data.recipients import activity_events
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.e2e.conftest import run_dag_test
from tests.warehouse.conftest import _postgres_database, postgres_server  # noqa: F401 (a fixture)

DAGS = Path(__file__).resolve().parents[2] / "dags_examples"
#: The end of the data interval of the reporting DAG's run of 2025-10-16 (it reports on 2025-10-15).
RUN_END = datetime(2025, 10, 16, tzinfo=timezone.utc)
EXAMPLE_DAG_IDS = sorted(path.stem for path in DAGS.glob("snovio_*.py"))
pytestmark = pytest.mark.slow


def our_modules(dags: Path = DAGS) -> list[str]:
    """Every module of the provider and the module name Airflow gives each DAG file of ``dags``."""
    from airflow.utils.file import get_unique_dag_module_name

    provider = [airflow_provider_snovio.__name__] + [
        info.name for info in pkgutil.walk_packages(airflow_provider_snovio.__path__, "airflow_provider_snovio.")
    ]
    return provider + [get_unique_dag_module_name(str(path)) for path in sorted(dags.glob("*.py"))]


def deprecation_errors(dags: Path = DAGS) -> str:
    """``PYTHONWARNINGS``: a DeprecationWarning raised from any of :func:`our_modules` is an exception."""
    return ",".join(f"error::DeprecationWarning:{module}" for module in our_modules(dags))


class Warehouse:
    """The DAGs' ``snovio_warehouse``: a SQLite file or a PostgreSQL database of its own, read back with
    SQLAlchemy (named parameters, the same SQL on both)."""

    def __init__(self, dialect: str, url: str, conn: dict[str, Any]) -> None:
        from sqlalchemy import create_engine

        self.dialect, self.url, self.conn_json = dialect, url, json.dumps(conn)
        self.engine = create_engine(url)

    def rows(self, sql: str) -> list[tuple]:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]

    def run(self, sql: str, rows: list[dict[str, Any]] | None = None) -> None:
        from sqlalchemy import text

        with self.engine.begin() as connection:
            connection.execute(text(sql), rows) if rows else connection.execute(text(sql))


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    if request.param == "sqlite":
        path = tmp_path / "warehouse.sqlite"
        target = Warehouse("sqlite", f"sqlite:///{path}", {"conn_type": "sqlite", "host": str(path)})
        yield target
        target.engine.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    database, url = _postgres_database(server)
    port = int(server.rsplit(":", 1)[1].split("/")[0])
    target = Warehouse(
        "postgresql",
        url,
        {"conn_type": "postgres", "host": "127.0.0.1", "port": port, "login": "postgres", "schema": database},
    )
    try:
        yield target
    finally:
        from sqlalchemy import create_engine, text

        target.engine.dispose()
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def env_of(airflow_dags_env, warehouse: Warehouse):
    """``env_of(sandbox, **extra)``: the harness environment plus the warehouse, fast polls and the warning rule."""

    def make(sandbox: SandboxServer, **extra: str) -> dict[str, str]:
        return airflow_dags_env(
            sandbox,
            DAGS,
            {
                "AIRFLOW_CONN_SNOVIO_WAREHOUSE": warehouse.conn_json,
                "SNOVIO_EXAMPLE_POLL_INTERVAL": "0.05",
                "SNOVIO_EXAMPLE_GREYLISTED_POLL_INTERVAL": "0.05",
                "PYTHONWARNINGS": deprecation_errors(),
                **extra,
            },
        )

    return make


def test_the_warning_rule_turns_our_deprecations_into_errors(airflow_dags_env, snovio_sandbox) -> None:
    """The rule the DAG runs use can fail: a DeprecationWarning from a provider module or a DAG file raises,
    one from another module does not."""
    env = airflow_dags_env(snovio_sandbox, DAGS, {"PYTHONWARNINGS": deprecation_errors()})
    dag_module = next(m for m in our_modules() if m.endswith("_snovio_campaign_reporting"))
    code = (
        "import warnings\n"
        "exec(compile('warnings.warn(\"old\", DeprecationWarning)', 'x', 'exec'), "
        "{'__name__': %r, 'warnings': warnings})\n"
    )
    for module, fails in (
        ("airflow_provider_snovio.transfers.sql", True),
        (dag_module, True),
        ("somebody_else", False),
    ):
        result = subprocess.run(
            [sys.executable, "-c", code % module], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert (result.returncode != 0) is fails, (module, result.stderr)
        if fails:
            assert "DeprecationWarning: old" in result.stderr


def test_the_warning_rule_fails_a_dag_run(airflow_dags_env, snovio_sandbox, tmp_path: Path) -> None:
    """The same rule survives ``airflow dags test``'s process chain: a task of a DAG file that raises a
    DeprecationWarning fails the run (so the example runs would fail on one too)."""
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "snovio_warns.py").write_text(
        "import warnings\n"
        "import pendulum\n"
        "from airflow.sdk import DAG, task\n"
        "with DAG('snovio_warns', schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz='UTC')):\n"
        "    @task\n"
        "    def old() -> None:\n"
        "        warnings.warn('an old API', DeprecationWarning)\n"
        "    old()\n"
    )
    env = airflow_dags_env(snovio_sandbox, dags, {"PYTHONWARNINGS": deprecation_errors(dags)})
    result = run_dag_test("snovio_warns", dags, env, expect_success=False)
    assert "DeprecationWarning: an old API" in result.stdout + result.stderr


def test_dagbag_loads_every_example_without_errors(airflow_dags_env, snovio_sandbox) -> None:
    env = airflow_dags_env(snovio_sandbox, DAGS, {"PYTHONWARNINGS": deprecation_errors()})
    code = (
        "import json\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "print(json.dumps({'dags': sorted(bag.dag_ids), 'errors': {str(k): str(v) for k, v in "
        "bag.import_errors.items()}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["errors"] == {}
    assert (
        loaded["dags"]
        == EXAMPLE_DAG_IDS
        == [
            "snovio_campaign_reporting",
            "snovio_do_not_email_sync",
            "snovio_email_verification",
            "snovio_lead_enrichment",
            "snovio_reply_router",
            "snovio_webhooks_setup",
        ]
    )
    assert "DeprecationWarning" not in result.stderr, result.stderr[-3000:]


@pytest.mark.parametrize("warehouse", ["postgresql"], indirect=True)  # SQLite: tests/e2e/test_demo.py
def test_campaign_reporting(env_of, snovio_sandbox: SandboxServer, warehouse: Warehouse) -> None:
    # 2025-10-16's run reports on 2025-10-15, a day inside the seeded campaigns' activity
    result = run_dag_test(
        "snovio_campaign_reporting", DAGS, env_of(snovio_sandbox), extra_args=("2025-10-16T00:00:00+00:00",)
    )
    stats = snovio_sandbox.stats()
    campaigns = snovio_sandbox.state.data.campaigns.campaigns
    active = [c for c in campaigns if c.status != "Draft"]
    expected = {
        "snovio_campaigns": len(campaigns),
        "snovio_campaign_analytics": 3 * len(active),  # the run's day and the 2 days of lookback_days
        "snovio_campaign_replies": sum(len(c.replies) for c in active),
        "snovio_campaign_opens": sum(len(c.opens) for c in active),
        "snovio_campaign_clicks": sum(len(c.clicks) for c in active),
        "snovio_emails_sent": sum(len(c.sent) for c in active),
        "snovio_finished_prospects": sum(len(c.finished) for c in active),
        # every #72 event from each campaign's creation to the run's end (its data interval's end)
        "snovio_recipient_activity": len(
            {(c.id, event) for c in active for event in activity_events(c, 0, RUN_END.timestamp(), {})}
        ),
    }
    assert {table: warehouse.rows(f"SELECT COUNT(*) FROM {table}")[0][0] for table in expected} == expected
    assert {
        (str(a), str(b)) for a, b in warehouse.rows("SELECT DISTINCT date_from, date_to FROM snovio_campaign_analytics")
    } == {(day, day) for day in ("2025-10-13", "2025-10-14", "2025-10-15")}
    # the report ranks the day's campaigns by reply rate, read back from the warehouse
    ranked = warehouse.rows(
        "SELECT c.name, a.email_replies_rate FROM snovio_campaign_analytics a JOIN "
        "snovio_campaigns c ON c.id = a.campaign_id WHERE a.date_from = '2025-10-15' AND "
        "a.date_to = '2025-10-15' AND (a.emails_sent > 0 OR a.email_replies > 0) "
        "ORDER BY a.email_replies_rate DESC, a.email_replies DESC, c.id"
    )
    assert ranked, "no campaign had activity on the reported day"
    output = result.stdout + result.stderr
    assert "Snov.io report for 2025-10-15" in output
    assert f"{ranked[0][1]:6.1f}%" in output and ranked[0][0] in output
    # free reads only, inside the limit; the campaigns are listed by the campaigns task, by the campaign ids
    # task (ids from the API, not the warehouse), once by each sync of a campaign resource (which judges
    # by the listing whether a campaign was deleted upstream) and once more by recipient_activity's first run
    # (each campaign's created_at: where its history starts)
    assert stats["credits_spent"] == 0 and stats["rate_limited"] == 0
    assert stats["requests"]["GET /v1/get-user-campaigns"] == 1 + 1 + 1 + 6 + 1
    assert stats["requests"]["GET /v2/statistics/campaign-analytics"] == 3 * len(active)  # + 2 lookback days


def test_lead_enrichment(env_of, snovio_conn_env: SandboxServer, warehouse: Warehouse) -> None:
    from airflow_provider_snovio.hooks.snovio import SnovioHook

    sandbox = snovio_conn_env
    balance_before = sandbox.stats()["balance"]
    run_dag_test(
        "snovio_lead_enrichment",
        DAGS,
        env_of(sandbox),
        extra_args=("--conf", json.dumps({"domains": ["octagon.com"], "list_name": "E2E leads"})),
    )
    stats = sandbox.stats()
    rows = warehouse.rows("SELECT email, domain, prospect_hash, smtp_status, list_id FROM snovio_leads")
    assert rows and all(domain == "octagon.com" and prospect for _, domain, prospect, _, _ in rows)
    valid = {email for email, _, _, status, _ in rows if status == "valid"}
    listed = {email for email, *_, list_id in rows if list_id is not None}
    assert valid and listed == valid
    # the list in Snov.io holds exactly the valid addresses
    hook = SnovioHook()
    lists = [lst for lst in hook.get_user_lists() if lst["name"] == "E2E leads"]
    assert len(lists) == 1 and {list_id for *_, list_id in rows if list_id} == {lists[0]["id"]}
    in_list = {p["emails"][0]["email"] for p in hook.iter_list_prospects(lists[0]["id"])}
    assert in_list == valid
    # paid once: one search page, one e-mail search per prospect, each address queued for verification once
    assert stats["requests"]["POST /v2/domain-search/prospects/start"] == 1
    # octagon.com's first page holds 20 prospects (2 of them without an e-mail): one paid search each
    assert stats["requests"]["POST /v2/domain-search/prospects/search-emails/start/{prospect_hash}"] == 20
    assert len({prospect for _, _, prospect, _, _ in rows}) == 18
    assert 0 < stats["credits_spent"] == balance_before - stats["balance"]


def test_email_verification(env_of, snovio_conn_env: SandboxServer, warehouse: Warehouse) -> None:
    from airflow_provider_snovio.hooks.snovio import SnovioHook

    emails = [
        "gavin.vanrooyen@octagon.com",
        "john.doe@yourdomain.com",
        "nobody.here@octagon.com",
        "jane.doe@yourdomain.com",
    ]
    warehouse.run(
        "CREATE TABLE crm_contacts (email VARCHAR(320) PRIMARY KEY, smtp_status VARCHAR(32), verified_at VARCHAR(32))"
    )
    warehouse.run("INSERT INTO crm_contacts (email) VALUES (:email)", [{"email": e} for e in emails])
    warehouse.run("INSERT INTO crm_contacts VALUES ('recent@octagon.com', 'valid', '2999-01-01 00:00:00')")
    run_dag_test("snovio_email_verification", DAGS, env_of(snovio_conn_env))
    written = dict(warehouse.rows("SELECT email, smtp_status FROM crm_contacts"))
    # the statuses written back are Snov.io's (read again, free, once the run is over)
    body = SnovioHook().get_emails_verification_status(emails)
    assert written == {**{e: body[e]["data"]["smtpStatus"] for e in emails}, "recent@octagon.com": "valid"}
    assert written["john.doe@yourdomain.com"] == "valid"
    assert warehouse.rows("SELECT COUNT(*) FROM crm_contacts WHERE verified_at IS NULL")[0][0] == 0
    assert snovio_conn_env.stats()["credits_spent"] == len(emails)  # the recently verified row was not sent


def test_do_not_email_sync(env_of, snovio_sandbox: SandboxServer, warehouse: Warehouse) -> None:
    list_id = min(snovio_sandbox.state.data.do_not_email)
    warehouse.run(
        "CREATE TABLE email_suppressions (item VARCHAR(320) PRIMARY KEY, reason VARCHAR(32), synced_at VARCHAR(32))"
    )
    warehouse.run(
        "INSERT INTO email_suppressions (item, reason) VALUES (:item, :reason)",
        [
            {"item": "bounced.lead@example.com", "reason": "bounced"},
            {"item": "Blocked@octagon.com", "reason": "unsubscribed"},
            {"item": "spam-trap.example", "reason": "bounced"},
        ],
    )
    warehouse.run("INSERT INTO email_suppressions VALUES ('old@example.com', 'bounced', '2025-01-01 00:00:00')")
    result = run_dag_test(
        "snovio_do_not_email_sync",
        DAGS,
        env_of(snovio_sandbox),
        extra_args=("--conf", json.dumps({"list_id": list_id})),
    )
    items = [item.lower() for item in snovio_sandbox.state.data.do_not_email[list_id].items]
    assert {"bounced.lead@example.com", "blocked@octagon.com", "spam-trap.example"} <= set(items)
    assert "old@example.com" not in items  # synced before: not sent again
    assert items.count("blocked@octagon.com") == 1  # already in the seeded list: a duplicate, not added twice
    assert warehouse.rows("SELECT COUNT(*) FROM email_suppressions WHERE synced_at IS NULL")[0][0] == 0
    assert f"Do-not-email list {list_id}: 2 added, 1 already there" in result.stdout + result.stderr


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)  # the DAG uses no warehouse: run it once
def test_webhooks_setup(env_of, snovio_conn_env: SandboxServer) -> None:
    from airflow_provider_snovio.hooks.snovio import SnovioHook

    url = "https://hooks.example.com/e2e-snovio"
    run_dag_test(
        "snovio_webhooks_setup", DAGS, env_of(snovio_conn_env), extra_args=("--conf", json.dumps({"endpoint_url": url}))
    )
    hooks = [h["data"] for h in SnovioHook().list_webhooks()["data"] if h["data"]["end_point"] == url]
    assert sorted((h["event_object"], h["event_action"], h["status"]) for h in hooks) == [
        ("campaign_email", "opened", "active"),
        ("campaign_reply", "received", "active"),
    ]
