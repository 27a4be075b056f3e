"""Batches of rows in object storage: gzip JSON Lines files, each with a manifest, partitioned by sync date.

Layout under ``<path>/<resource>/``::

    sync_date=2026-12-03/20261203T071502123456Z-9f1c2a.jsonl.gz          the rows (gzip JSON Lines)
    sync_date=2026-12-03/20261203T071502123456Z-9f1c2a.manifest.json     what the batch holds
    _snovio_state.json                                                  where the next run resumes

Why this shape: a warehouse loads new files from a stage (Snowflake ``COPY``, BigQuery load jobs,
Redshift ``COPY``) and skips files it loaded before, so each run adds new files and never rewrites one.
A batch id starts with its UTC time to the microsecond, so names sort in write order, and every row
carries the batch's ``_snovio_synced_at``: the latest row of a key is the current one. The data file is
written under a temporary name and moved into place when complete; its manifest is written after it.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from airflow_provider_snovio.transfers.storage import Store, atomic_open, read_json, temp_name, write_json

#: System columns of every row, after the resource's typed columns.
RAW, SYNCED_AT, DELETED_AT = "_snovio_raw", "_snovio_synced_at", "_snovio_deleted_at"
SYSTEM_COLUMNS = (RAW, SYNCED_AT, DELETED_AT)
DATA_SUFFIX = ".jsonl.gz"
MANIFEST_SUFFIX = ".manifest.json"
STATE_FILE = "_snovio_state.json"
FORMAT = "snovio-batch/1"
#: Uncompressed bytes buffered before one compression call.
WRITE_CHUNK = 1 << 20
#: zlib's default: level 9 takes about twice as long for a few percent smaller JSON.
COMPRESS_LEVEL = 6


def timestamp_text(moment: datetime) -> str:
    """UTC text of a timestamp column (``2025-09-01 10:00:00+00:00``)."""
    return str(moment.astimezone(timezone.utc))


def synced_text(moment: datetime) -> str:
    """``_snovio_synced_at`` always with microseconds, so comparing the text orders batches correctly."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def partition(moment: datetime) -> str:
    return f"sync_date={moment.astimezone(timezone.utc).date().isoformat()}"


class _Hashing:
    """Write-through wrapper counting and hashing the bytes that reach storage (the compressed file)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.handle.write(data)
        return len(data)

    def flush(self) -> None:
        self.handle.flush()


@dataclass
class Batch:
    """One batch being written: rows stream through gzip to a temporary object."""

    store: Store
    root: str  # <path>/<resource>
    resource: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    synced_at: datetime
    batch_id: str = ""
    rows: int = 0
    tombstones: int = 0
    scopes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.batch_id:
            self.batch_id = f"{self.synced_at.astimezone(timezone.utc):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"
        self.synced = synced_text(self.synced_at)
        self.directory = f"{self.root}/{partition(self.synced_at)}"
        self.path = f"{self.directory}/{self.batch_id}{DATA_SUFFIX}"
        self.manifest_path = f"{self.directory}/{self.batch_id}{MANIFEST_SUFFIX}"
        self.temp = temp_name(self.path)
        self._context = atomic_open(self.store, self.path, self.temp)
        self._handle = self._context.__enter__()
        self._hashing = _Hashing(self._handle)
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._hashing, mtime=0, compresslevel=COMPRESS_LEVEL)
        self._buffer: list[bytes] = []
        self._buffered = 0

    def _flush(self) -> None:
        """Compress the buffered lines in one call (a call per line costs more than the compression)."""
        if self._buffer:
            self._buffer.append(b"")
            self._gzip.write(b"\n".join(self._buffer))
            self._buffer, self._buffered = [], 0

    def add(self, row: Mapping[str, Any], scope: str, *, deleted: bool = False) -> None:
        """Append one row (the typed columns; the system columns are set here)."""
        line = dict(row)
        line[SYNCED_AT] = self.synced
        line[DELETED_AT] = self.synced if deleted else None
        if deleted:
            line[RAW] = None
        encoded = json.dumps(line, ensure_ascii=False, default=_json_default).encode()
        self._buffer.append(encoded)
        self._buffered += len(encoded) + 1
        if self._buffered >= WRITE_CHUNK:
            self._flush()
        counts = self.scopes.setdefault(scope, {"rows": 0, "tombstones": 0, "restarted": False})
        if deleted:
            self.tombstones += 1
            counts["tombstones"] += 1
        else:
            self.rows += 1
            counts["rows"] += 1

    def mark_restarted(self, scope: str) -> None:
        self.scopes.setdefault(scope, {"rows": 0, "tombstones": 0, "restarted": False})["restarted"] = True

    def publish(self, previous_batch: str | None) -> dict[str, Any]:
        """Finish the file, move it into place, then write its manifest; returns the manifest."""
        self._flush()
        self._gzip.close()
        self._context.__exit__(None, None, None)
        manifest = {
            "format": FORMAT,
            "batch": self.batch_id,
            "resource": self.resource,
            "file": self.path.rsplit("/", 1)[1],
            "uri": self.store.uri(self.path),
            "compression": "gzip",
            "content": "jsonl",
            "rows": self.rows,
            "tombstones": self.tombstones,
            "lines": self.rows + self.tombstones,
            "bytes": self._hashing.size,
            "sha256": self._hashing.digest.hexdigest(),
            "synced_at": self.synced,
            "sync_date": self.synced_at.astimezone(timezone.utc).date().isoformat(),
            "columns": [*self.columns, *SYSTEM_COLUMNS],
            "key": list(self.key),
            "scopes": self.scopes,
            "previous_batch": previous_batch,
        }
        write_json(self.store, self.manifest_path, manifest)
        return manifest

    def abort(self, error: BaseException) -> None:
        """Drop the temporary file (the exception is the caller's to re-raise)."""
        with contextlib.suppress(Exception):  # the storage may be what failed
            self._gzip.close()
        with contextlib.suppress(BaseException):  # atomic_open re-raises the error it is handed
            self._context.__exit__(type(error), error, error.__traceback__)


def next_synced_at(last: str | None, now: datetime | None = None) -> datetime:
    """The batch time: now, but always after the previous batch's (clock skew between workers)."""
    moment = now or datetime.now(timezone.utc)
    if last:
        previous = datetime.strptime(last, "%Y-%m-%d %H:%M:%S.%f+00:00").replace(tzinfo=timezone.utc)
        if moment <= previous:
            moment = previous + timedelta(microseconds=1)
    return moment


def manifests(store: Store, root: str) -> list[dict[str, Any]]:
    """Every published batch's manifest under ``root``, in write order."""
    store.fs.invalidate_cache()
    paths = store.fs.glob(f"{root}/sync_date=*/*{MANIFEST_SUFFIX}")
    found = [read_json(store, path) for path in sorted(paths, key=lambda p: p.rsplit("/", 1)[1])]
    return [m for m in found if isinstance(m, dict) and m.get("format") == FORMAT]


def read_rows(store: Store, root: str, manifest: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The rows of one published batch."""
    path = f"{root}/sync_date={manifest['sync_date']}/{manifest['file']}"
    with store.fs.open(path, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_state(store: Store, root: str) -> dict[str, Any]:
    state = read_json(store, f"{root}/{STATE_FILE}")
    return state if isinstance(state, dict) else {}


def save_state(store: Store, root: str, state: Mapping[str, Any]) -> None:
    write_json(store, f"{root}/{STATE_FILE}", dict(state))
