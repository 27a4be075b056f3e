"""State kept across task retries: one versioned record format for every operator that records paid work.

Why: a retry (or a clear, or a rerun of the same run) must not pay Snov.io again for work an earlier try
already paid for, nor repeat work that cannot be repeated (a prospect pushed into a list starts its drip
campaign). So each operator writes what it did to the task instance's ``task_state_store`` (Airflow 3.3+)
before it moves on, and reads it back first. Two shapes of the same mechanism:

* :class:`Job` - one record per task (key :data:`JOB_KEY`) holding the whole resumable job of an
  asynchronous operator (task hashes, addresses queued, pages read). It also travels in the ``defer``
  kwargs, and on Airflow 3.1/3.2 it lives in the task instance's own XCom (:class:`DeferralStore`), which
  survives deferrals but not retries.
* :class:`TaskProgress` - one record per finished unit of work (an e-mail, a URL, a chunk), under a key
  made of a namespace and a digest of the item: inputs can be long (profile URLs) and are personal data,
  and the store limits keys to :data:`MAX_KEY_LENGTH` characters. Without a ``task_state_store`` (Airflow
  3.1/3.2) it is a no-op with a warning: a retry repeats the work (each operator documents what that costs).

**Versioned.** Every record this release writes carries its format, ``{"snovio_state": STATE_VERSION,
...}``, so a later release never has to guess what it reads. Reading a record:

* the current format is read as is;
* a format this release knows to be older is migrated (:data:`STATE_VERSION` 1 = the unversioned records of
  the provider before formats were numbered, whose layout is unchanged: read as they are, with a log line);
* an older format it cannot read is dropped with a warning, and the work starts afresh;
* a *newer* format (written by a newer release, then the provider was downgraded) is refused with
  :class:`SnovioStateVersionError`: starting afresh could pay again for work the newer release recorded.
  An operator given ``allow_repay=True`` (or whose work is free) starts afresh instead, with a warning.

A job records a fingerprint of the operator's inputs: if they change between tries, it starts afresh
(with a log line) rather than being read as the job of other inputs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_snovio._compat import DeferralStore, task_state_store
from airflow_provider_snovio.api.errors import SnovioError

#: Format of the records this release writes. Raise it (and add a migration) whenever a record's layout changes.
STATE_VERSION = 2
#: The format of the records written before formats were numbered (no version field).
UNVERSIONED = 1
#: The field of every record that holds its format.
VERSION_FIELD = "snovio_state"
#: Key of the job record in ``task_state_store``. Renaming it breaks resumption of in-flight retries.
JOB_KEY = "snovio_job"
#: Airflow's ``task_state_store`` refuses longer keys.
MAX_KEY_LENGTH = 512
#: Write-ahead marker of a slot: the number of items a paid start about to be sent may charge.
PAYING = "paying"
#: Set next to the marker when the start is charged once per unique request (resending it is free).
CHARGED_ONCE = "charged_once"

_log = logging.getLogger(__name__)


class SnovioStateVersionError(SnovioError):
    """The task's store holds a record in a format newer than this release reads (a downgrade).

    Starting afresh could pay Snov.io again for work the newer release recorded, so the task fails instead,
    until it runs with the newer release again or the operator is given ``allow_repay=True``.
    """

    def __init__(self, detail: str, *, version: Any) -> None:
        self.version = version
        super().__init__(detail)


def fingerprint(inputs: Any) -> str:
    """A short stable digest of an operator's inputs (a job is only resumed for the same inputs)."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def slots_where(data: Any, wanted: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every dict nested anywhere in a job record (its slots: a page, a chunk, an item) that ``wanted`` keeps."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if wanted(value):
                found.append(value)
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return found


def version_of(record: Any) -> Any:
    """The format of a stored record: its version field, or :data:`UNVERSIONED` for a record without one."""
    if isinstance(record, Mapping) and VERSION_FIELD in record:
        return record[VERSION_FIELD]
    return UNVERSIONED


def readable(record: Any, what: str, log: Any, allow_restart: bool) -> bool:
    """Whether ``record`` (not None) is in a format this release reads (current or migratable).

    An older unreadable format: False, with a warning (the work starts afresh). A newer format: raises
    :class:`SnovioStateVersionError`, or with ``allow_restart`` False with a warning.
    """
    version = version_of(record)
    if version == STATE_VERSION:
        return True
    if version == UNVERSIONED:
        log.info("Reading %s recorded by an earlier release (unversioned, same layout): migrated as is", what)
        return True
    newer = isinstance(version, int) and not isinstance(version, bool) and version > STATE_VERSION
    if newer and not allow_restart:
        raise SnovioStateVersionError(
            f"{what} was recorded in state format {version} by a newer release of airflow-provider-snovio; this "
            f"release reads format {STATE_VERSION} and older. Starting afresh could pay again for recorded work: "
            "run the task with the newer release, or set allow_repay=True to start afresh",
            version=version,
        )
    log.warning(
        "%s was recorded in state format %r, which this release (format %d) cannot read: starting that work afresh%s",
        what,
        version,
        STATE_VERSION,
        " (allow_repay=True)" if newer else "",
    )
    return False


class Job:
    """The resumable record of one operator's paid work: ``job.data`` is a JSON dict, ``job.save()``.

    ``job.data`` is the stored record itself: ``{"snovio_state": STATE_VERSION, "fingerprint": ..., <the
    operator's own fields>}``; it is also what travels in the ``defer`` kwargs (``carried``).
    """

    def __init__(
        self,
        context: Mapping[str, Any] | None,
        inputs_fingerprint: str,
        carried: dict[str, Any] | None = None,
        *,
        log: Any = None,
        allow_restart: bool = False,
    ) -> None:
        log = log if log is not None else _log
        self._store = task_state_store(context)  # 3.1/3.2: a stand-in kept across deferrals only
        data = carried if carried is not None else (self._store.get(JOB_KEY) if self._store is not None else None)
        if data is not None and not readable(data, "The Snov.io job", log, allow_restart):
            data = None
        if data is not None and (not isinstance(data, dict) or not isinstance(data.get("fingerprint"), str)):
            log.warning("The stored Snov.io job has no fingerprint of its inputs (unreadable): starting afresh")
            data = None
        if data is not None and data["fingerprint"] != inputs_fingerprint:
            log.info("The operator's inputs changed since the stored Snov.io job: starting a new job")
            data = None
        if data is None:
            data = {"fingerprint": inputs_fingerprint}
        data[VERSION_FIELD] = STATE_VERSION  # written in this release's format from now on
        self.data: dict[str, Any] = data
        self.resumed = any(key not in (VERSION_FIELD, "fingerprint") for key in data)

    @property
    def durable(self) -> bool:
        """Whether this job survives a task retry (Airflow 3.3+ ``task_state_store``)."""
        return self._store is not None and not isinstance(self._store, DeferralStore)

    def save(self) -> None:
        if self._store is not None:
            self._store.set(JOB_KEY, self.data)

    def lost_slots(self) -> list[dict[str, Any]]:
        """Slots whose paid start was sent (marker) but whose answer was never recorded (no task_hash)."""
        return slots_where(self.data, lambda slot: PAYING in slot and not slot.get("task_hash"))


class TaskProgress:
    """Paid or non-repeatable work this task instance already did, one record per item, kept across retries.

    Each finished unit (an e-mail, a URL, a chunk) is recorded under ``snovio:<namespace>:<digest>``, so a
    retry reuses the recorded answer instead of paying Snov.io again. A value is stored as
    ``{"snovio_state": STATE_VERSION, "value": ...}``; a bare value is a record of an earlier release
    (read as is, see the module doc).

    Only Airflow 3.3's ``task_state_store`` (it survives retries) is used: on Airflow < 3.3 every method is
    a no-op and a retry repeats the work. A warning says so once per execution.
    """

    def __init__(self, context: Mapping[str, Any], namespace: str, log: Any, *, allow_restart: bool = False) -> None:
        self.namespace = namespace
        self.log = log
        self.allow_restart = allow_restart
        self._told_legacy = False
        self.store = context.get("task_state_store")
        if self.store is None:
            log.warning(
                "No task_state_store in the context (Airflow < 3.3): a retry of this task repeats "
                "the Snov.io calls already made (%s)",
                namespace,
            )

    @property
    def enabled(self) -> bool:
        return self.store is not None

    def key(self, item: str) -> str:
        key = f"snovio:{self.namespace}:{hashlib.sha256(item.encode()).hexdigest()[:40]}"
        if len(key) > MAX_KEY_LENGTH:
            raise ValueError(f"task_state_store key of namespace {self.namespace[:40]!r}... exceeds {MAX_KEY_LENGTH}")
        return key

    def get(self, item: str) -> Any:
        """The value recorded for ``item`` by an earlier try, or None."""
        if self.store is None:
            return None
        record = self.store.get(self.key(item))
        if record is None:
            return None
        if version_of(record) == UNVERSIONED:  # an earlier release's bare value: same layout, read as is
            if not self._told_legacy:
                self.log.info("Reading %s records of an earlier release (unversioned): migrated as is", self.namespace)
                self._told_legacy = True
            return record
        if not readable(record, f"A {self.namespace} record", self.log, self.allow_restart):
            return None
        return record.get("value")

    def set(self, item: str, value: Any) -> None:
        """Record ``item`` as done (``value`` must be JSON and not None)."""
        if self.store is not None:
            self.store.set(self.key(item), {VERSION_FIELD: STATE_VERSION, "value": value})
