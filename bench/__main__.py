"""``python -m bench [family ...]``: measure every target, print the table, write ``bench-results.json``
(``bench-results.partial.json`` when only some families are named).

Families run one after another (never two at once: they would share the two cores and skew each other).
A family that raises is reported as "not measured: <error>" for each of its lines and the run goes on;
the exit status is then 1, because the harness broke. A missed target is not a failure: exit 0.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from bench import infra

infra.isolate_environment()  # before anything imports Airflow

from bench.results import Result, details, machine, not_measured, table, write_json  # noqa: E402

#: (family, the lines it yields as (name, target, unit) for "not measured", its measuring function).
Family = tuple[str, list[tuple[str, str, str]], Callable[[], list[Result]]]


def families() -> list[Family]:
    from bench import imports, incremental, loading, quota, replies, sensor, throughput, tokens, triggerer, warehouse

    return [
        (
            "throughput",
            [
                ("1. requests/min achieved / limit, 1 process", ">= 0.95, zero 429s", "ratio"),
                *(
                    (f"2. requests/min achieved / limit, 4 processes, {b}", ">= 0.90, never above the limit", "ratio")
                    for b in ("per-host SQLite", "Redis")
                ),
            ],
            lambda: throughput.measure(infra.private_redis),
        ),
        (
            "warehouse",
            [
                *((loading.line_name(db, dialect), ">= 0.5", "ratio") for db, dialect in loading.DATABASES.items()),
                ("4. peak RSS syncing 100,000 replies / syncing 10,000", "<= 1.5", "ratio"),
            ],
            lambda: warehouse.measure(infra.private_postgres),
        ),
        ("imports", [("5. import of every provider module / import airflow.sdk", "<= 0.05", "ratio")], imports.measure),
        (
            "tokens",
            [("6. token requests per account per token lifetime (4 processes x 1,000 calls)", "1", "tokens")],
            tokens.measure,
        ),
        (
            "sensor",
            [
                (
                    f"7. API calls of a sensor waiting T={sensor.T:g} s at poke interval p={sensor.P:g} s",
                    f"<= T/p + 2 = {sensor.T / sensor.P + 2:g}",
                    "calls",
                ),
                ("7. worker slots held while deferred", "0", "slots"),
            ],
            sensor.measure,
        ),
        (
            "incremental",
            [("8. requests of an incremental sync with nothing new / minimum", "1.0", "ratio")],
            incremental.measure,
        ),
        (
            "triggerer",
            [
                (
                    f"9. {triggerer.COUNT} deferred sensors, one event loop: peak requests in any window / limit",
                    "<= 1.0, zero 429s",
                    "ratio",
                ),
                (f"9. {triggerer.COUNT} deferred sensors, one event loop: worst event-loop lag", "< 100", "ms"),
            ],
            triggerer.measure,
        ),
        ("quota", [(quota.NAME, quota.TARGET, "ratio")], quota.measure),
        (
            "replies",
            [
                (replies.NAME_LATENCY, replies.TARGET_LATENCY, "s"),
                (replies.NAME_COST, replies.TARGET_COST, "requests/h"),
            ],
            replies.measure,
        ),
    ]


def main(argv: list[str]) -> int:
    chosen = set(argv)
    started = time.monotonic()
    results: list[Result] = []
    broken = False
    try:
        for name, lines, measure in families():
            if chosen and name not in chosen:
                continue
            print(f"[bench] {name} ...", flush=True)
            begun = time.monotonic()
            try:
                results.extend(measure())
            except Exception as error:
                broken = True
                traceback.print_exc()
                reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
                results.extend(not_measured(n, target, unit, reason) for n, target, unit in lines)
            print(f"[bench] {name} took {time.monotonic() - begun:.0f} s", flush=True)
    finally:
        infra.cleanup()
    results.sort(key=lambda r: int(r.name.split(".")[0]))  # item order; within an item, run order
    output = infra.REPO / "bench-results.json"
    if chosen:  # a partial run must not replace the figures of a whole one
        output = infra.REPO / "bench-results.partial.json"
    write_json(results, output)
    print()
    print(table(results))
    print()
    print(details(results))
    print()
    print(f"Machine: {machine()}")
    print(f"Wall time: {time.monotonic() - started:.0f} s; written {output}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
