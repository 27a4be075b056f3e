"""The Airflow version matrix and the built-wheel check (``make test-matrix``, ``make test-wheel``).

Why a script and not the shared venv: the shared venv holds one Airflow (the newest minor, ``make test``).
Every other declared minor gets a virtualenv of its own under ``.cache/matrix/<minor>`` (ignored by git),
installed from ``constraints/airflow-<minor>.txt`` and reused while that file and ``pyproject.toml`` are
unchanged, so a second run costs only the checks.

Subcommands::

    python scripts/test_matrix.py compile [MINOR ...]   # regenerate constraints/airflow-<minor>.txt
    python scripts/test_matrix.py run [MINOR ...]       # venv per minor + the compat checks (default: floor)
    python scripts/test_matrix.py wheel                 # python -m build, clean venv, sandbox + reporting DAG

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
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)
    return time.monotonic() - started


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
