"""The Airflow version matrix and the built-wheel check (``make test-matrix``, ``make test-wheel``).

Why a script and not the shared venv: the shared venv holds one Airflow (the newest minor, ``make test``).
Every other declared minor gets a virtualenv of its own under ``.cache/matrix/<minor>`` (ignored by git),
installed from ``constraints/airflow-<minor>.txt`` and reused while that file and ``pyproject.toml`` are
unchanged, so a second run costs only the checks.

Subcommands::

    python scripts/test_matrix.py compile [MINOR ...]   # regenerate constraints/airflow-<minor>.txt
    python scripts/test_matrix.py run [MINOR ...]       # venv per minor + the compat checks (default: floor)
    python scripts/test_matrix.py wheel                 # python -m build, clean venv, sandbox + reporting DAG,
                                                        # then the [snowflake] extra against a fakesnow server

How the constraints are made (``compile``): each ``constraints/airflow-<minor>.in`` pins one Airflow
release; it is compiled together with ``pyproject.toml`` with ``uv pip compile``, every package limited to
what PyPI had the day after that Airflow release (``--exclude-newer``), which is what Airflow's own
constraints file for that release pins. The provider's Airflow providers (common-compat, standard,
common-sql, sqlite) are exempt: the provider needs versions newer than some Airflow releases, and a user
installs those on top of Airflow's constraints. Resolving today's newest dependencies for Airflow 3.2.2
instead fails before any provider code runs (fastapi >= 0.156.1, svcs 26): see docs/installing.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints"
CACHE = ROOT / ".cache"
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

#: Each declared Airflow minor: the release tested and the cut-off of its dependencies (the day after
#: that release reached PyPI, as its official constraints file). The floor is first, the newest last.
MINORS: dict[str, tuple[str, str]] = {
    "3.1": ("3.1.8", "2026-03-12T00:00:00Z"),
    "3.2": ("3.2.2", "2026-05-30T00:00:00Z"),
    "3.3": ("3.3.2", "2026-09-18T00:00:00Z"),
}
FLOOR = next(iter(MINORS))
#: Installed at their newest (the provider's own requirements on them are newer than some Airflow releases).
NEWEST_PACKAGES = (
    "apache-airflow-providers-common-compat",
    "apache-airflow-providers-standard",
    "apache-airflow-providers-common-sql",
    "apache-airflow-providers-sqlite",
)
#: What each minor's venv runs: provider discovery, an import of every module, the connection form on
#: that Airflow, and one DAG per family (reporting, deferrable verification, domain search, sensors).
CHECKS = [
    "tests/compat",
    "tests/e2e/test_provider_discovery.py",
    "tests/e2e/test_dags_async.py::test_verification_dag",
    "tests/e2e/test_dags_async.py::test_domain_search_dag",
    "tests/e2e/test_dags_async.py::test_sensors_dag",
]

#: The fakesnow server the wheel's ``[snowflake]`` check talks to, run by this (the dev venv's) interpreter:
#: fakesnow 0.12.1's own server app, with one change. Its login answer lacks two fields that
#: snowflake-connector-python 5.x (whose login is done by its native core) requires and 4.x ignores:
#: ``masterToken`` ("Failed to login: Missing response field: master token") and ``sessionId`` ("... session
#: ID"). Both are added to that one answer; every query is fakesnow's own. Port 0: the port is read from its log.
FAKESNOW_SERVER = """
import itertools, json, uvicorn
import fakesnow.server as fs
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

sessions = itertools.count(1)

async def login(request):
    answer = await fs.login_request(request)
    body = json.loads(answer.body)
    if body.get("success"):
        body["data"].setdefault("masterToken", "master-" + body["data"]["token"])
        body["data"].setdefault("sessionId", next(sessions))
    return JSONResponse(body, status_code=answer.status_code)

login_path = "/session/v1/login-request"
routes = [Route(login_path, login, methods=["POST"]) if r.path == login_path else r for r in fs.routes]
uvicorn.run(Starlette(routes=routes), host="127.0.0.1", port=0, log_level="info")
"""
#: Run by the ``[snowflake]`` venv: ``SnovioToSqlOperator`` twice (a first sync, then a rerun) of
#: campaign_replies through the Airflow connection ``snowflake_warehouse`` (type ``snowflake``), and the
#: versions it ran on. argv: the campaign ids.
SNOWFLAKE_SYNC = """
import json, sys
from importlib.metadata import version
from airflow_provider_snovio.transfers import SnovioToSqlOperator

op = SnovioToSqlOperator(
    task_id="replies", resource="campaign_replies", sql_conn_id="snowflake_warehouse",
    campaign_ids=[int(c) for c in sys.argv[1:]],
)
runs = [op.execute({})["rows_written"] for _ in range(2)]
names = ("snowflake-sqlalchemy", "snowflake-connector-python", "sqlalchemy", "apache-airflow")
print("RESULT " + json.dumps({"rows_written": runs, "dialect": op.get_engine().dialect.name,
                              "versions": {name: version(name) for name in names}}))
"""


def uv() -> str:
    """The uv next to this interpreter (``make install`` puts it there), else the one on PATH."""
    local = Path(sys.executable).with_name("uv")
    found = str(local) if local.exists() else shutil.which("uv")
    if not found:
        sys.exit("uv not found: run `make install` first")
    return found


def run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(str(c) for c in command), flush=True)
    return subprocess.run([str(c) for c in command], check=True, text=True, **kwargs)


def constraints_of(minor: str) -> tuple[Path, Path]:
    return CONSTRAINTS / f"airflow-{minor}.in", CONSTRAINTS / f"airflow-{minor}.txt"


def compile_constraints(minor: str) -> None:
    release, cutoff = MINORS[minor]
    source, target = constraints_of(minor)
    if f"apache-airflow=={release}" not in source.read_text():
        sys.exit(f"{source} does not pin apache-airflow=={release} (MINORS in {__file__})")
    newest = [
        arg
        for package in NEWEST_PACKAGES
        for arg in ("--exclude-newer-package", f"{package}={time.strftime('%Y-%m-%dT00:00:00Z')}")
    ]
    run(
        uv(),
        "pip",
        "compile",
        "--quiet",
        "--python-version",
        PYTHON_VERSION,
        "--exclude-newer",
        cutoff,
        *newest,
        "--no-header",
        "--annotation-style",
        "line",
        "pyproject.toml",
        source.relative_to(ROOT),
        "-o",
        target.relative_to(ROOT),
        cwd=ROOT,
    )
    header = (
        f"# Airflow {release} on Python {PYTHON_VERSION}: `python scripts/test_matrix.py compile {minor}`\n"
        f"# (dependencies as PyPI had them at {cutoff}; {', '.join(NEWEST_PACKAGES)} newest).\n"
    )
    target.write_text(header + target.read_text())


def fingerprint(*files: Path) -> str:
    digest = hashlib.sha256(PYTHON_VERSION.encode())
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def venv_for(minor: str) -> Path:
    """``.cache/matrix/<minor>``: Airflow ``minor`` exactly as constrained, the provider installed editable
    (Airflow discovers it through its entry points). Reused while the inputs are unchanged."""
    source, target = constraints_of(minor)
    venv = CACHE / "matrix" / minor
    stamp = venv / ".constraints-sha256"
    key = fingerprint(target, source, ROOT / "pyproject.toml")
    if stamp.exists() and stamp.read_text() == key:
        print(f"reusing {venv.relative_to(ROOT)} (constraints unchanged)", flush=True)
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    run(uv(), "venv", "--quiet", "--python", sys.executable, venv)
    run(uv(), "pip", "install", "--quiet", "-p", venv / "bin" / "python", "-c", target, "-r", source, "-e", ROOT)
    stamp.write_text(key)
    return venv


def check_minor(minor: str) -> float:
    started = time.monotonic()
    venv = venv_for(minor)
    version = subprocess.run(
        [venv / "bin" / "python", "-c", "import airflow; print(airflow.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if version != MINORS[minor][0]:
        sys.exit(f"{venv} has Airflow {version}, expected {MINORS[minor][0]}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW") and k != "VIRTUAL_ENV"}
    env["PYTHONPATH"] = str(ROOT)
    env["SNOVIO_EXPECT_AIRFLOW"] = version  # tests/compat asserts it runs on this very release
    run(venv / "bin" / "python", "-m", "pytest", "-p", "no:cacheprovider", "-q", *CHECKS, cwd=ROOT, env=env)
    return time.monotonic() - started


def check_wheel() -> float:
    """``python -m build``, the wheel (not editable, no test extra) in a clean venv with the newest minor's
    constraints, then what a user runs from it: ``snovio-sandbox`` and the reporting DAG through
    ``airflow dags test``, from a folder outside the checkout so nothing is imported from the source tree."""
    import json
    import re
    import sqlite3
    import tempfile

    started = time.monotonic()
    newest = list(MINORS)[-1]
    work = Path(tempfile.mkdtemp(prefix="snovio-wheel-"))
    run(sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", ROOT)
    (wheel,) = (work / "dist").glob("airflow_provider_snovio-*.whl")
    venv = CACHE / "wheel" / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    run(uv(), "venv", "--quiet", "--python", sys.executable, venv)
    run(uv(), "pip", "install", "--quiet", "-p", venv / "bin" / "python", "-c", constraints_of(newest)[1], wheel)
    bin_ = venv / "bin"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AIRFLOW", "SNOVIO_")) and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    where = subprocess.run(
        [
            bin_ / "python",
            "-c",
            "import airflow_provider_snovio as p, importlib.util as u; "
            "print(p.__file__); print(u.find_spec('pytest') is None)",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if not where[0].startswith(str(venv)) or where[1] != "True":
        sys.exit(f"the wheel venv imports the provider from {where[0]} (pytest absent: {where[1]})")

    # Its log goes to a file: a pipe nobody reads once the URL is known would block the sandbox when full.
    sandbox_log = work / "sandbox.log"
    with sandbox_log.open("w") as log_file:
        sandbox = subprocess.Popen(
            [bin_ / "snovio-sandbox", "--port", "0"], cwd=work, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        conn = None
        deadline = time.monotonic() + 120
        while conn is None and sandbox.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            for line in sandbox_log.read_text().splitlines():
                if match := re.match(r"AIRFLOW_CONN_SNOVIO_DEFAULT='(.*)'$", line.strip()):
                    conn = match.group(1)
        print("sandbox:", sandbox_log.read_text().strip(), flush=True)
        if conn is None:
            sys.exit(f"snovio-sandbox ({sandbox.poll()}) printed no connection within 120 s")
        dags = work / "dags"
        dags.mkdir()
        shutil.copy(ROOT / "dags_examples" / "snovio_campaign_reporting.py", dags)
        home = work / "airflow-home"
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW_CONN_SNOVIO_DEFAULT": conn,
                "AIRFLOW_CONN_SNOVIO_WAREHOUSE": json.dumps(
                    {"conn_type": "sqlite", "host": str(work / "warehouse.sqlite")}
                ),
            }
        )
        run(bin_ / "airflow", "db", "migrate", cwd=work, env=env, stdout=subprocess.DEVNULL)
        result = subprocess.run(
            [bin_ / "airflow", "dags", "test", "snovio_campaign_reporting", "2025-10-16T00:00:00+00:00"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        if result.returncode != 0 or "Snov.io report for 2025-10-15" not in output:
            sys.exit(f"the reporting DAG failed from the wheel ({result.returncode}):\n{output[-6000:]}")
        with sqlite3.connect(work / "warehouse.sqlite") as db:
            campaigns = db.execute("SELECT COUNT(*) FROM snovio_campaigns").fetchone()[0]
            analytics = db.execute("SELECT COUNT(*) FROM snovio_campaign_analytics").fetchone()[0]
        if not campaigns or not analytics:
            sys.exit(f"the reporting DAG wrote {campaigns} campaigns and {analytics} analytics rows")
        print(
            f"wheel {wheel.name} (Airflow {MINORS[newest][0]}): snovio-sandbox + reporting DAG wrote "
            f"{campaigns} campaigns, {analytics} analytics rows",
            flush=True,
        )
        check_snowflake_extra(wheel, work, env, conn)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    return time.monotonic() - started


def sandbox_replies(conn: str) -> dict[int, set[str]]:
    """Every campaign's reply ids as the running sandbox serves them, read with plain HTTP (not with the
    provider's client, which the sync under test uses); a 429 is waited out."""
    import json

    import httpx

    fields = json.loads(conn)
    with httpx.Client(base_url=fields["host"], timeout=30) as http:

        def get(path: str, **params: Any) -> Any:
            for _ in range(30):
                answer = http.get(path, params=params, headers=headers)
                if answer.status_code != 429:
                    return answer.raise_for_status().json()
                time.sleep(float(answer.headers.get("Retry-After") or 2))
            sys.exit(f"the sandbox kept answering 429 to {path}")

        credentials = {"grant_type": "client_credentials", "client_id": fields["login"]}
        credentials["client_secret"] = fields["password"]
        token = http.post("/v1/oauth/access_token", data=credentials).raise_for_status().json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        replies: dict[int, set[str]] = {}
        for campaign in get("/v1/get-user-campaigns"):
            ids: list[str] = []
            while page := get("/v1/get-emails-replies", campaignId=campaign["id"], offset=len(ids)):
                ids += [str(row["id"]) for row in page]
            replies[int(campaign["id"])] = set(ids)
    return replies


def check_snowflake_extra(wheel: Path, work: Path, env: dict[str, str], snovio_conn: str) -> None:
    """The wheel with the ``[snowflake]`` extra as a user installs it - by plain resolution, no constraints and
    no override, so snowflake-sqlalchemy 2.1 with the snowflake-connector-python 5.x it declares (the shared
    venv's tests run connector 4.8, for fakesnow) - syncing campaign_replies through ``SnovioToSqlOperator``
    and a ``snowflake`` connection into a fakesnow server on 127.0.0.1 (see :data:`FAKESNOW_SERVER`). The
    table is then read with this interpreter's connector 4.8 and compared with what the sandbox serves:
    every key once, none missing, none extra, none marked deleted, and the rerun wrote nothing.

    Why no constraints: with ``constraints/airflow-3.3.txt`` the extra does not install (that file pins
    protobuf 7.36.2 through opentelemetry-proto 1.44.0; connector 5.x requires protobuf below 7)."""
    import json
    import re

    import snowflake.connector

    venv = CACHE / "wheel" / "venv-snowflake"
    shutil.rmtree(venv, ignore_errors=True)
    run(uv(), "venv", "--quiet", "--python", sys.executable, venv)
    run(
        uv(),
        "pip",
        "install",
        "--quiet",
        "-p",
        venv / "bin" / "python",
        f"airflow-provider-snovio[snowflake] @ {wheel.as_uri()}",
    )

    replies = sandbox_replies(snovio_conn)
    # the campaigns with a few replies (one page, one INSERT into the stage), and the smallest with at least
    # 1,000 (several INSERTs of ROWS_PER_INSERT rows): a few seconds and about a minute of fakesnow
    chosen = sorted(cid for cid, ids in replies.items() if 0 < len(ids) < 1_000)
    large = sorted((len(ids), cid) for cid, ids in replies.items() if len(ids) >= 1_000)
    chosen += [large[0][1]] if large else []
    if not chosen:
        sys.exit(f"the sandbox serves no campaign with replies: {sorted(replies)}")
    expected = {(cid, rid) for cid in chosen for rid in replies[cid]}

    server_log = work / "fakesnow.log"
    with server_log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-c", FAKESNOW_SERVER], cwd=work, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            if found := re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", server_log.read_text()):
                port = int(found.group(1))
        if port is None:
            sys.exit(f"the fakesnow server ({server.poll()}) did not start within 60 s:\n{server_log.read_text()}")

        def query(*statements: str) -> list[list[Any]]:
            with snowflake.connector.connect(
                user="fake",
                password="snow",
                account="fakesnow",
                host="127.0.0.1",
                port=port,
                protocol="http",
                login_timeout=30,
                network_timeout=60,
                session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
            ) as connection:
                cursor = connection.cursor()
                return [cursor.execute(statement).fetchall() for statement in statements]

        query("CREATE DATABASE snovio", "CREATE SCHEMA snovio.analytics")
        warehouse = {
            "conn_type": "snowflake",
            "login": "fake",
            "password": "snow",
            "schema": "analytics",
            "extra": {
                "account": "fakesnow",
                "database": "snovio",
                "warehouse": "wh",
                "host": "127.0.0.1",
                "port": port,
                "protocol": "http",
            },
        }
        sync_env = env | {
            "AIRFLOW_HOME": str(work / "airflow-home-snowflake"),
            "AIRFLOW_CONN_SNOVIO_DEFAULT": snovio_conn,
            "AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE": json.dumps(warehouse),
        }
        result = subprocess.run(
            [venv / "bin" / "python", "-c", SNOWFLAKE_SYNC, *map(str, chosen)],
            cwd=work,
            env=sync_env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
        if result.returncode != 0 or not lines:
            sys.exit(
                f"the [snowflake] sync failed ({result.returncode}):\n{output[-6000:]}\n"
                f"fakesnow server:\n{server_log.read_text()[-3000:]}"
            )
        outcome = json.loads(lines[-1].removeprefix("RESULT "))
        print("the [snowflake] extra resolved:", json.dumps(outcome["versions"]), flush=True)
        rows, live, deleted = query(
            "SELECT campaign_id, id FROM snovio.analytics.snovio_campaign_replies",
            "SELECT COUNT(*) FROM snovio.analytics.snovio_campaign_replies WHERE _snovio_deleted_at IS NULL",
            "SELECT COUNT(*) FROM snovio.analytics.snovio_campaign_replies WHERE _snovio_deleted_at IS NOT NULL",
        )
        stored = [(int(cid), str(rid)) for cid, rid in rows]
        problems = []
        if outcome["dialect"] != "snowflake":
            problems.append(f"the engine's dialect is {outcome['dialect']}")
        if set(stored) != expected:
            missing, extra = len(expected - set(stored)), len(set(stored) - expected)
            problems.append(f"{missing} sandbox replies missing and {extra} extra in the table")
        if len(stored) != len(set(stored)):
            problems.append(f"{len(stored) - len(set(stored))} duplicate keys")
        if live[0][0] != len(expected) or deleted[0][0] != 0:
            problems.append(f"{live[0][0]} live and {deleted[0][0]} deleted rows, expected {len(expected)} live")
        if outcome["rows_written"] != [len(expected), 0]:
            problems.append(f"rows written by the first run and the rerun: {outcome['rows_written']}")
        if problems:
            sys.exit("the [snowflake] sync does not match the sandbox: " + "; ".join(problems))
        print(
            f"[snowflake] extra through a fakesnow 0.12.1 server: campaign_replies of campaigns {chosen}, "
            f"{len(expected)} rows, every key once; the rerun wrote 0",
            flush=True,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("compile", "run"):
        sub.add_parser(name).add_argument("minors", nargs="*", help=f"any of {', '.join(MINORS)}")
    sub.add_parser("wheel")
    args = parser.parse_args(argv)
    unknown = set(getattr(args, "minors", [])) - set(MINORS)
    if unknown:
        parser.error(f"unknown Airflow minor(s) {sorted(unknown)}: declared are {', '.join(MINORS)}")
    if args.command == "compile":
        for minor in args.minors or MINORS:
            compile_constraints(minor)
    elif args.command == "run":
        timings = {minor: check_minor(minor) for minor in args.minors or [FLOOR]}
        for minor, seconds in timings.items():
            print(f"matrix leg Airflow {MINORS[minor][0]}: passed in {seconds:.0f} s", flush=True)
    else:
        print(f"test-wheel: passed in {check_wheel():.0f} s", flush=True)


if __name__ == "__main__":
    main()
