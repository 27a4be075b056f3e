"""Item 5: what importing every provider module costs a DAG file, as a share of ``import airflow.sdk``.

Each of ``RUNS`` fresh interpreters runs ``python -X importtime`` over: ``import airflow.sdk``, then an
import of every provider module a DAG file can reach (every module of the package, committed to git,
except the ``sandbox`` dev server, which no DAG imports). Markers written to stderr between the steps
split the ``-X importtime`` report; a step's cost is the sum of the cumulative times of the top-level
imports it triggered. The figure is median(provider step) / median(``import airflow.sdk`` step).
"""

from __future__ import annotations

import re
import subprocess
import sys
from statistics import median

from bench.infra import REPO
from bench.results import Result

RUNS = 5
PACKAGE = "airflow_provider_snovio"
EXCLUDED = (f"{PACKAGE}.sandbox",)
MARK = "#bench-mark"
_LINE = re.compile(r"^import time:\s*(\d+) \|\s*(\d+) \|( *)(\S+)$")


def provider_modules() -> list[str]:
    """Every module of the package in git (the tree as committed, without others' untracked drafts)."""
    listed = subprocess.run(
        ["git", "ls-files", f"{PACKAGE}/*.py"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    modules = []
    for path in sorted(listed):
        name = path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        if not name.startswith(EXCLUDED) and not name.endswith("__main__"):
            modules.append(name)
    return modules


def script(modules: list[str]) -> str:
    mark = f"sys.stderr.write({MARK!r} + '\\n'); sys.stderr.flush()"
    return "\n".join(["import sys", mark, "import airflow.sdk", mark, *(f"import {m}" for m in modules), mark])


def step_costs(stderr: str) -> list[float]:
    """Seconds of top-level imports between consecutive markers (one figure per step)."""
    costs: list[float] = []
    current: float | None = None
    for line in stderr.splitlines():
        if line.strip() == MARK:
            if current is not None:
                costs.append(current)
            current = 0.0
            continue
        found = _LINE.match(line)
        if found and current is not None and found.group(3) == " ":  # depth 0: a top-level import
            current += int(found.group(2)) / 1e6
    return costs


def measure() -> list[Result]:
    modules = provider_modules()
    sdk, provider = [], []
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", script(modules)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"importing the provider modules failed: {done.stderr[-1500:]}")
        costs = step_costs(done.stderr)
        if len(costs) != 2:
            raise RuntimeError(f"expected 2 import steps between markers, found {len(costs)}")
        sdk.append(costs[0])
        provider.append(costs[1])
    share = median(provider) / median(sdk)
    detail = (
        f"{len(modules)} modules (all but the sandbox); medians of {RUNS} fresh processes: provider "
        f"{median(provider) * 1000:.0f} ms over `import airflow.sdk` {median(sdk) * 1000:.0f} ms "
        f"(-X importtime; runs: provider {', '.join(f'{x * 1000:.0f}' for x in provider)} ms)"
    )
    return [
        Result(
            "5. import of every provider module / import airflow.sdk",
            round(share, 4),
            "<= 0.05",
            "ratio",
            share <= 0.05,
            detail,
        )
    ]
