"""``snovio-sandbox``: run the sandbox from a shell (``make demo``, DAG authors without credentials).

Why flags are generated: every ``SandboxConfig`` field becomes ``--field-name`` with the field's type and
help, so the CLI can never drift from the config. Binding anything but loopback needs ``--allow-remote``:
the sandbox has fixed, published credentials. SIGTERM/SIGINT stop uvicorn cleanly (exit code 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import socket
import sys
from typing import Any

from airflow_provider_snovio import CONN_TYPE
from airflow_provider_snovio.api.urls import is_loopback
from airflow_provider_snovio.sandbox.config import SandboxConfig


def connection_json(config: SandboxConfig, base_url: str) -> str:
    """The ``AIRFLOW_CONN_SNOVIO_DEFAULT`` value (JSON form) for a sandbox at ``base_url``.

    The connection's ``requests_per_minute`` is the sandbox's own limit, so a hook pointed at it paces
    itself to exactly what the sandbox allows (a test sandbox with a high limit is not throttled).
    """
    return json.dumps(
        {
            "conn_type": CONN_TYPE,
            "login": config.client_id,
            "password": config.client_secret,
            "host": base_url,
            "extra": {"requests_per_minute": config.requests_per_minute},
        }
    )


def _flag_bool(value: str) -> bool:
    """A boolean knob on the command line: true/false, 1/0, yes/no, on/off (``bool("false")`` would be True)."""
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snovio-sandbox",
        description="A local, seeded, credential-free Snov.io API for tests and demos.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for f in dataclasses.fields(SandboxConfig):
        kind = type(f.default)
        flag = "--" + f.name.replace("_", "-")
        parser.add_argument(
            flag,
            dest=f.name,
            type=_flag_bool if kind is bool else kind,
            default=f.default,
            help=f.metadata.get("help", ""),
        )
    # short alias of --task-delay-seconds (same dest: the last one given wins)
    parser.add_argument("--task-delay", dest="task_delay_seconds", type=float, help="alias of --task-delay-seconds")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow binding a non-loopback interface (unsafe: public creds)"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    values: dict[str, Any] = {f.name: getattr(args, f.name) for f in dataclasses.fields(SandboxConfig)}
    try:
        config = SandboxConfig(**values)
    except ValueError as exc:
        parser.error(str(exc))
    if not is_loopback(config.host) and not args.allow_remote:
        parser.error(f"refusing to bind non-loopback host {config.host!r} without --allow-remote")

    import uvicorn  # heavy: only when actually serving

    from airflow_provider_snovio.sandbox.app import create_app

    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        print(f"snovio-sandbox: cannot bind {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 2
    sock.listen(2048)  # connectable from the moment the URL is printed (uvicorn accepts once started)
    port = sock.getsockname()[1]
    host_for_url = f"[{config.host}]" if ":" in config.host else config.host
    base_url = f"http://{host_for_url}:{port}"
    app = create_app(config)
    print(f"Snov.io sandbox listening on {base_url}", flush=True)
    print(f"AIRFLOW_CONN_SNOVIO_DEFAULT='{connection_json(config, base_url)}'", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, lifespan="off"))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal to the handlers that
    # were installed before it started; ours just note it, so a requested stop exits 0, not 130/143.
    received: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: received.append(signum))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    print(f"Snov.io sandbox stopped{' by signal ' + str(received[0]) if received else ''}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
