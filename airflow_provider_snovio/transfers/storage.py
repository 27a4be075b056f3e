"""Object storage primitives: resolve a URI to a filesystem, write a file so it appears only when complete.

Why a temporary name: fsspec completes an upload when its file is closed, even when the ``with`` block is
left by an exception, so writing straight to the final name publishes a partial file whenever a run fails
mid-write. Here every file is written under a temporary name and moved to its final name only after the
last byte was written; on failure the temporary object is removed (best effort). A move is a rename on a
local disk and a server-side copy on S3/GCS: the final name either does not exist or holds the whole file.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioValidationError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

log = logging.getLogger(__name__)

#: Suffix of a file being written: readers matching ``*.jsonl.gz`` or ``*.json`` never see one.
TEMP_SUFFIX = ".tmp"


def check_uri(field: str, uri: Any) -> str:
    """An object storage URI such as ``file:///data`` or ``s3://bucket/dir`` (no trailing slash)."""
    if not isinstance(uri, str) or "://" not in uri:
        raise SnovioValidationError(
            field, f"{uri!r} is not an object storage URI such as file:///data or s3://bucket/dir"
        )
    return uri.rstrip("/")


@dataclass(frozen=True)
class Store:
    """A filesystem and a protocol: paths here are the filesystem's own (``/data/x``, ``bucket/x``)."""

    fs: AbstractFileSystem
    protocol: str

    def uri(self, path: str) -> str:
        return f"{self.protocol}://{path}" if self.protocol else path

    @property
    def local(self) -> bool:
        return self.protocol in ("file", "local", "")


def open_store(uri: str, conn_id: str | None = None) -> tuple[Store, str]:
    """``(store, path)`` of ``uri``.

    The filesystem is Airflow's for the scheme (``ObjectStoragePath``: ``file``, and ``s3``/``gs``/... when
    their provider is installed, with ``conn_id``'s credentials). A scheme no installed provider registers
    falls back to fsspec's own implementation (e.g. ``s3fs`` configured by the standard AWS environment
    variables), so ``s3://`` also works without the Amazon provider.
    """
    from airflow.sdk import ObjectStoragePath

    protocol = uri.split("://", 1)[0] if "://" in uri else ""  # a plain path is a local one
    try:
        located = ObjectStoragePath(uri, conn_id=conn_id)
        fs, path = located.fs, located.path  # the path without its protocol, as the filesystem names it
    except ValueError:  # "No filesystem registered for scheme ..."
        if conn_id:
            raise
        import fsspec
        import fsspec.core

        fs, path = fsspec.filesystem(protocol), fsspec.core.strip_protocol(uri)
    store = Store(fs, protocol)
    if store.local:  # absolute, as fsspec names local files (listings are compared against it)
        path = os.path.abspath(path)
    return store, path.rstrip("/")


def temp_name(path: str) -> str:
    """A unique temporary name beside ``path`` (same directory: a local move stays a rename)."""
    return f"{path}.{secrets.token_hex(6)}{TEMP_SUFFIX}"


@contextmanager
def atomic_open(store: Store, path: str, temp: str | None = None) -> Iterator[IO[bytes]]:
    """A binary file that appears under ``path`` only if the block completes.

    Written to ``temp`` (default: :func:`temp_name`), moved to ``path`` after a clean close; on an exception
    the temporary file is removed and the exception propagates. ``path`` is never created partially.
    """
    temp = temp or temp_name(path)
    if store.local:
        store.fs.makedirs(os.path.dirname(temp), exist_ok=True)  # local paths: the OS's own parent
        store.fs.makedirs(os.path.dirname(path), exist_ok=True)
    handle = store.fs.open(temp, "wb")
    try:
        yield handle
    except BaseException:
        _discard(store, handle, temp)
        raise
    handle.close()
    store.fs.mv(temp, path)
    store.fs.invalidate_cache()


def _discard(store: Store, handle: Any, temp: str) -> None:
    try:
        if hasattr(handle, "discard"):  # fsspec buffered file (S3, GCS): abort the upload
            handle.discard()
        handle.close()
    except Exception:
        log.debug("closing %s after a failure", temp, exc_info=True)
    try:
        store.fs.invalidate_cache()
        if store.fs.exists(temp):
            store.fs.rm(temp)
    except Exception:
        log.warning("could not remove the temporary file %s", store.uri(temp), exc_info=True)


def write_json(store: Store, path: str, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` atomically (:func:`atomic_open`)."""
    data = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True, default=str).encode()
    with atomic_open(store, path) as handle:
        handle.write(data)


def read_json(store: Store, path: str) -> Any:
    """The JSON at ``path``, or None if there is no such file."""
    try:
        with store.fs.open(path, "rb") as handle:
            return json.loads(handle.read())
    except FileNotFoundError:
        return None
