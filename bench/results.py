"""One benchmark figure, the printed table and ``bench-results.json``.

Every row carries its target beside its value; ``met`` is decided here from the value and, where the
target has side conditions (zero 429s, never above the limit), from those too. A figure that could not
be measured is reported as such (``met: null``), never estimated.
"""

from __future__ import annotations

import json
import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Result:
    """One line of the table and one object of ``bench-results.json``.

    ``detail`` (printed, not written to the JSON) says how the value was obtained: the knobs used and the
    side measurements behind ``met``.
    """

    name: str
    value: float | str | None
    target: str
    unit: str
    met: bool | None
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "target": self.target, "unit": self.unit, "met": self.met}


def not_measured(name: str, target: str, unit: str, reason: str) -> Result:
    return Result(name, f"not measured: {reason}", target, unit, None, reason)


def shown(value: float | str | None) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table(results: list[Result]) -> str:
    """A Markdown table (pasted as is into docs/performance.md)."""
    rows = [("what", "value", "target", "unit", "met")]
    rows += [(r.name, shown(r.value), r.target, r.unit, {True: "yes", False: "NO", None: "-"}[r.met]) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def details(results: list[Result]) -> str:
    return "\n".join(f"- {r.name}: {r.detail}" for r in results if r.detail)


def write_json(results: list[Result], path: Path) -> None:
    """One object per line inside a JSON list: easy to diff, still plain JSON."""
    body = ",\n".join(json.dumps(r.as_json()) for r in results)
    path.write_text(f"[\n{body}\n]\n", encoding="utf-8")


def machine() -> str:
    """Where the figures came from: cores, CPU model, memory, load, Python and Airflow versions."""
    cpu = "unknown CPU"
    memory = "unknown memory"
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
        kib = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        memory = f"{int(kib.group(1)) / 1024**2:.1f} GiB" if kib else memory
    except OSError:
        pass
    try:
        from importlib.metadata import version

        airflow = version("apache-airflow")
    except Exception:
        airflow = "unknown"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory} RAM, load average {load} at the end; "
        f"Python {platform.python_version()}, Airflow {airflow}, {platform.system()} {platform.release()}"
    )
