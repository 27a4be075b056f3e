"""SnovioHook: an Airflow connection of type ``snovio`` turned into a Snov.io client.

The hook owns nothing of its own about HTTP: it reads the connection (login = Client ID,
password = Client Secret, host = base URL override, extras for the rate limit, timeout, retries and
the shared limiter backend), masks the secrets in Airflow's logs, and delegates every Snov.io method
to :class:`~airflow_provider_snovio.api.client.SnovioClient`. All endpoint methods
(``hook.get_balance()``, ``hook.iter_campaign_replies(...)``, ``hook.run_task(...)``...) come from
:class:`~airflow_provider_snovio.api.methods.SnovioMethods`.

Creating a hook does no I/O; the connection is read on first use.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from collections.abc import Callable
from functools import cached_property
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.sdk import BaseHook

from airflow_provider_snovio import (
    CONN_TYPE,
    DEFAULT_BASE_URL,
    DEFAULT_CONN_ID,
    DEFAULT_MAX_RETRIES,
    DEFAULT_QUOTA_WINDOW_SECONDS,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_TIMEOUT_SECONDS,
)
from airflow_provider_snovio.api.catalogue import VERIFICATION_BATCH, Endpoint
from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.api.methods import SnovioMethods
from airflow_provider_snovio.api.retry import RetryPolicy
from airflow_provider_snovio.api.urls import is_loopback, scrub_url_secrets, url_secrets

if TYPE_CHECKING:
    from airflow_provider_snovio.api.async_client import AsyncSnovioClient

#: Extras read from the connection: name -> (type, default). The provider info declares the same names.
EXTRA_FIELDS: dict[str, tuple[type, Any]] = {
    "requests_per_minute": (int, DEFAULT_REQUESTS_PER_MINUTE),
    "timeout": (float, DEFAULT_TIMEOUT_SECONDS),
    "max_retries": (int, DEFAULT_MAX_RETRIES),
    "rate_limit_backend": (str, None),
    "finder_hourly_limit": (int, None),
    "verifier_hourly_limit": (int, None),
    "quota_window_seconds": (float, DEFAULT_QUOTA_WINDOW_SECONDS),
}

log = logging.getLogger(__name__)

#: Executors that run every task on the scheduler's own host, where the default per-host limiter is shared
#: by all of them. Any other executor (Celery, Kubernetes, Edge, a custom one) may use several hosts.
SINGLE_HOST_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})

#: The process that already warned that the account limit is not shared across hosts (one warning each).
_warned_not_shared_pid: int | None = None

#: Airflow commands whose processes usually run in a container or host of their own, apart from the workers,
#: so the per-host default log (a file in this container's temp directory) is not the workers' log.
SERVER_COMMANDS = {"triggerer": "triggerer", "api-server": "API server", "api_server": "API server"}

#: The process that already warned that its per-host log may not be the workers' (one warning each).
_warned_server_pid: int | None = None


def _mask(secret: str) -> None:
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - older task SDKs
        from airflow.sdk.execution_time.secrets_masker import mask_secret  # type: ignore[no-redef]
    mask_secret(secret)


async def _amask(secret: str) -> None:
    """:func:`_mask` for the triggerer's event loop: Airflow's ``amask_secret`` (task SDK 1.1+) sends the
    mask to the supervisor with ``asend`` instead of a blocking ``send``, which can deadlock a loop that
    already has a request in flight. Older SDKs have only the sync call, which is harmless in a triggerer:
    outside a task process there is no supervisor channel, so it only adds the value to the in-process
    masker (no I/O, nothing to wait for)."""
    try:
        from airflow.sdk.log import amask_secret
    except ImportError:  # pragma: no cover - task SDKs without the async variant
        _mask(secret)
        return
    await amask_secret(secret)


def configured_executors() -> list[str]:
    """Class names of the executors in ``[core] executor``: a comma-separated list of names, module paths
    or ``alias:module.path.Class`` entries (Airflow's multiple executors)."""
    from airflow.providers.common.compat.sdk import conf

    names = []
    for entry in (conf.get("core", "executor", fallback="") or "").split(","):
        entry = entry.strip()
        if entry:
            names.append(entry.rsplit(":", 1)[-1].rsplit(".", 1)[-1].strip())
    return names


def warn_if_limit_not_shared(rate_limit_backend: str | None) -> None:
    """Warn once per process when tasks may run on several hosts but the limiter is per host.

    Without a ``rate_limit_backend`` the account's limit is shared through a file on this host only; with
    Celery or Kubernetes workers on N hosts the account then sees up to N times its limit and Snov.io
    throttles it. Saying so once per process is enough to be found in any task log.
    """
    global _warned_not_shared_pid
    if rate_limit_backend or _warned_not_shared_pid == os.getpid():
        return
    try:
        several_hosts = [name for name in configured_executors() if name not in SINGLE_HOST_EXECUTORS]
    except Exception:  # an unreadable config must not fail a task over a warning
        log.debug("could not read [core] executor", exc_info=True)
        return
    if not several_hosts:
        return
    _warned_not_shared_pid = os.getpid()
    log.warning(
        "The Snov.io rate limit is shared only by the processes on this host, but the executor %s runs tasks "
        "on several hosts: together they can exceed the account's limit and be throttled. Set the connection "
        "extra 'rate_limit_backend' to a Redis URL every worker reaches (redis://host:6379/0) and install the "
        "redis extra: pip install 'airflow-provider-snovio[redis]'",
        ", ".join(several_hosts),
    )


def airflow_server_role(argv: list[str] | None = None) -> str | None:
    """``"triggerer"`` or ``"API server"`` when this process is (a child of) that Airflow command, else None.

    Read from ``sys.argv``, which the triggerer's forked trigger runner and the API server's forked or spawned
    workers inherit: ``airflow triggerer`` or ``python -m airflow api-server``.
    """
    argv = sys.argv if argv is None else argv
    if len(argv) < 2:
        return None
    program = PurePath(argv[0])
    if program.name != "airflow" and program.parent.name != "airflow":
        return None
    return SERVER_COMMANDS.get(argv[1])


def warn_if_server_limit_not_shared(rate_limit_backend: str | None) -> None:
    """Warn once per process when a triggerer or API server counts requests in the per-host default log.

    Deployments run these in containers of their own: the default log is then a file in that container's
    temporary directory, unseen by the workers, and together they exceed the account's limit. Nothing is
    said when ``rate_limit_backend`` (Redis) or ``$SNOVIO_RATE_LIMIT_DIR`` (a volume shared with the
    workers) chose the log explicitly.
    """
    global _warned_server_pid
    if rate_limit_backend or _warned_server_pid == os.getpid():
        return
    role = airflow_server_role()
    if role is None:
        return
    # Imported here: the limiter module (sqlite3, asyncio) stays out of DAG-parse-time imports of the hook.
    from airflow_provider_snovio.api.ratelimit import RATE_LIMIT_DIR_ENV, rate_limit_dir_default

    if os.environ.get(RATE_LIMIT_DIR_ENV, "").strip():
        return
    _warned_server_pid = os.getpid()
    log.warning(
        "This %s counts Snov.io requests in the per-host default rate-limit log (%s), which only processes in "
        "this container or host share: if the workers run elsewhere, together they can exceed the account's "
        "limit and be throttled. Mount one volume in every Airflow container and point %s at it, or set the "
        "connection extra 'rate_limit_backend' to a Redis URL every process reaches (redis://host:6379/0).",
        role,
        rate_limit_dir_default(),
        RATE_LIMIT_DIR_ENV,
    )


def base_url_from(host: str | None, port: int | None = None) -> str:
    """Connection host -> base URL. A bare host means https, except a loopback host (the sandbox)."""
    host = (host or "").strip().rstrip("/")
    if not host:
        return DEFAULT_BASE_URL
    if "://" in host:
        return host
    if host.count(":") > 1 and not host.startswith("["):
        host = f"[{host}]"  # a bare IPv6 address such as ::1
    parts = urlsplit("//" + host)
    scheme = "http" if is_loopback(parts.hostname or "") else "https"
    if port and parts.port is None:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def read_extras(extra: dict[str, Any]) -> dict[str, Any]:
    """Typed extras with defaults; accepts the ``extra__snovio__`` prefix older forms wrote."""
    values: dict[str, Any] = {}
    for name, (kind, default) in EXTRA_FIELDS.items():
        raw = extra.get(name, extra.get(f"extra__{CONN_TYPE}__{name}"))
        if raw in (None, ""):
            values[name] = default
            continue
        try:
            values[name] = kind(raw)
        except (TypeError, ValueError):
            raise SnovioConfigError(f"connection extra {name!r} must be {kind.__name__}, got {raw!r}") from None
    if values["requests_per_minute"] < 1:
        raise SnovioConfigError("connection extra 'requests_per_minute' must be at least 1")
    if values["max_retries"] < 0:
        raise SnovioConfigError("connection extra 'max_retries' must not be negative")
    if not math.isfinite(values["timeout"]) or values["timeout"] <= 0:  # float("nan") parses: a NaN never times out
        raise SnovioConfigError("connection extra 'timeout' must be a finite, positive number of seconds")
    if values["finder_hourly_limit"] is not None and values["finder_hourly_limit"] < 1:
        raise SnovioConfigError("connection extra 'finder_hourly_limit' must be at least 1 (or empty: unknown)")
    if values["verifier_hourly_limit"] is not None and values["verifier_hourly_limit"] < VERIFICATION_BATCH:
        raise SnovioConfigError(
            f"connection extra 'verifier_hourly_limit' must be at least {VERIFICATION_BATCH} "
            "(one verification request's e-mails), or empty: unknown"
        )
    window = values["quota_window_seconds"]
    if not math.isfinite(window) or window <= 0:
        raise SnovioConfigError("connection extra 'quota_window_seconds' must be a finite, positive number of seconds")
    return values


class SnovioHook(BaseHook, SnovioMethods):
    """Interact with the Snov.io API.

    :param snovio_conn_id: Airflow connection of type ``snovio`` (default ``snovio_default``).
    :param requests_per_minute: overrides the connection's rate limit (the account's limit is shared
        by every process using the same credentials on this host, or deployment-wide with Redis).
    :param timeout: overrides the per-request timeout in seconds.
    :param max_retries: overrides the number of retries of transient failures.
    """

    conn_name_attr = "snovio_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Snov.io"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The form's standard fields for Airflow 3.1 (3.2+ reads the provider info instead)."""
        from airflow_provider_snovio.hooks.connection_form import ui_field_behaviour

        return ui_field_behaviour(cls.conn_type)

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The form's extra fields for Airflow 3.1 (3.2+ reads the provider info instead)."""
        from airflow_provider_snovio.hooks.connection_form import connection_form_widgets

        return connection_form_widgets(cls.conn_type)

    def __init__(
        self,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        *,
        requests_per_minute: int | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        rate_limit_backend: str | None = None,
    ) -> None:
        super().__init__()
        self.snovio_conn_id = snovio_conn_id
        self._rate_limit_backend: str | None = rate_limit_backend
        self._overrides = {
            k: v
            for k, v in {
                "requests_per_minute": requests_per_minute,
                "timeout": timeout,
                "max_retries": max_retries,
                "rate_limit_backend": rate_limit_backend,
            }.items()
            if v is not None
        }

    def client_config(self) -> ClientConfig:
        """Read the connection and build the client configuration (no network)."""
        return self._config_from(self.get_connection(self.snovio_conn_id))

    async def async_client(self) -> AsyncSnovioClient:
        """An :class:`AsyncSnovioClient` for triggers; reads the connection without blocking the loop."""
        from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson

        from airflow_provider_snovio.api.async_client import AsyncSnovioClient

        # common-compat picks the safe way for this Airflow (before 3.3.2 the base aget_connection and
        # extra_dejson mask secrets with a blocking call that can deadlock a busy event loop).
        conn = await get_async_connection(self.snovio_conn_id, hook=self)
        masked: list[str] = []
        config = self._config_from(conn, extra=await get_async_extra_dejson(conn), mask=masked.append)
        for secret in [config.client_secret, *masked]:
            await _amask(secret)
        return AsyncSnovioClient(config, on_asecret=_amask)

    def _config_from(
        self, conn: Any, extra: dict[str, Any] | None = None, mask: Callable[[str], None] | None = None
    ) -> ClientConfig:
        """The client config of ``conn``; each secret found in the extras goes to ``mask`` (default: masked
        now; the async path collects them and awaits the async masker)."""
        mask = mask or _mask
        extras = read_extras((conn.extra_dejson if extra is None else extra) or {})
        extras.update(self._overrides)
        backend = extras["rate_limit_backend"] or None
        self._rate_limit_backend = backend
        if backend:
            for secret in url_secrets(backend, include_usernames=False):
                mask(secret)  # a Redis password in the backend URL (user-info or ?password=)
        warn_if_limit_not_shared(backend)
        warn_if_server_limit_not_shared(backend)
        return ClientConfig(
            client_id=conn.login or "",
            client_secret=conn.password or "",
            base_url=base_url_from(conn.host, conn.port),
            timeout=float(extras["timeout"]),
            requests_per_minute=int(extras["requests_per_minute"]),
            rate_limit_backend=backend,
            retry=RetryPolicy(max_retries=int(extras["max_retries"])),
            finder_hourly_limit=extras["finder_hourly_limit"],
            verifier_hourly_limit=extras["verifier_hourly_limit"],
            quota_window_seconds=float(extras["quota_window_seconds"]),
        )

    @cached_property
    def client(self) -> SnovioClient:
        config = self.client_config()
        _mask(config.client_secret)
        return SnovioClient(config, on_secret=_mask)

    def get_conn(self) -> SnovioClient:
        """The underlying :class:`SnovioClient` (created on first use)."""
        return self.client

    def call(self, endpoint: Endpoint | str, /, **arguments: Any) -> Any:
        """Send a catalogue row (``hook.call(ENDPOINTS.get_balance)``; a name is looked up) through the client."""
        return self.client.call(endpoint, **arguments)

    def wait_for_task(self, result_method: Endpoint | str, task_hash: str, **kwargs: Any) -> Any:
        return self.client.wait_for_task(result_method, task_hash, **kwargs)

    def test_connection(self) -> tuple[bool, str]:
        """Get a token and read the balance (a free call); never raises."""
        try:
            self.client.access_token()
            balance = self.get_balance()
            credits = (balance.get("data") or {}).get("balance") if isinstance(balance, dict) else None
            return True, f"Connected to Snov.io; balance: {credits} credits"
        except Exception as error:
            # The limiter already shows its URL redacted; scrub again so no layer can slip a password through.
            return False, scrub_url_secrets(str(error), self._rate_limit_backend or "")
