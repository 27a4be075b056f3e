"""Run one benchmark worker in a fresh interpreter: ``python -m bench.child module:function '<json kwargs>'``.

Why fresh processes: several figures are per process (tokens, peak RSS, import time) or need real
process boundaries (four processes sharing one limiter, a triggerer that does not also host the API
server). The worker's return value is printed as JSON on the last stdout line.

A worker that must start together with its siblings calls :func:`wait_for_go`: it prints ``READY`` and
blocks until the parent writes one line (the common start time) to its stdin.
"""

from __future__ import annotations

import importlib
import json
import sys

READY = "READY"


def wait_for_go() -> float:
    """Tell the parent this worker is set up; return the start time (epoch seconds) the parent sends."""
    print(READY, flush=True)
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("parent closed stdin before the start signal")
    return float(line)


def main(argv: list[str]) -> None:
    target, arguments = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**arguments)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
