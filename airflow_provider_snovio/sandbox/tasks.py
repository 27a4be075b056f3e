"""Asynchronous work in the sandbox: v2 ``task_hash`` tasks and v1 "soft async" queued jobs.

Why one module: Snov.io has two async styles - v2 start/result pairs keyed by a ``task_hash``, and v1
"queue it, then ask again" pairs (add names -> Email Finder, add emails -> Email Verifier, add URL ->
get prospect). Both must make a client wait the same configurable way, so both use ``Progress``:
a piece of work answers "in progress" until BOTH ``task_delay_seconds`` have passed since it started AND
``task_polls_pending`` status polls were answered "in progress"; the poll after that completes it, and a
completed piece of work stays completed. With the defaults (0 s, 1 poll) the first poll says in progress
and the second says completed, so every client must really poll.

Task hashes are 32 lowercase hex characters like Snov.io's; an unknown, malformed or wrong-family hash
raises ``EntityNotFound`` (the documented 404 body). Snov.io does not say how long it keeps a task's result;
``task_hash_ttl_seconds`` models a result that is forgotten that long after the task completed (404 from
then on), so clients must survive an expired hash without paying in a loop. The registry lives in
``state.extensions`` so
``SandboxState.reset()`` forgets every task.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_snovio.sandbox.errors import EntityNotFound

if TYPE_CHECKING:
    from airflow_provider_snovio.sandbox.state import SandboxState

T = TypeVar("T")
TASK_HASH_RE = re.compile(r"^[0-9a-f]{32}$")
EXTENSION = "tasks"

#: v2 result statuses.
COMPLETED = "completed"
IN_PROGRESS = "in_progress"
NOT_ENOUGH_CREDITS = "not_enough_credits"


@dataclass(eq=False)
class Progress:
    """How far one piece of async work is; advanced only by status polls and the clock."""

    started_at: float
    polls: int = 0
    done: bool = False
    #: When the last poll that had to answer "in progress" was made (the start if none had to).
    last_pending_poll_at: float | None = None
    #: When the work became complete: both conditions met (the delay passed, the pending polls made).
    completed_at: float | None = None

    def ready_at(self, *, delay_seconds: float, polls_pending: int) -> float | None:
        """When the work is (or was) complete, if its pending polls were made; None while they were not."""
        if self.done:
            return self.completed_at
        if self.polls < polls_pending:
            return None
        last = self.last_pending_poll_at if self.last_pending_poll_at is not None else self.started_at
        return max(self.started_at + delay_seconds, last)

    def poll(self, now: float, *, delay_seconds: float, polls_pending: int) -> bool:
        """Count one status poll; True when the work is complete (from this poll on)."""
        if not self.done and self.polls >= polls_pending and now - self.started_at >= delay_seconds:
            self.completed_at = self.ready_at(delay_seconds=delay_seconds, polls_pending=polls_pending)
            self.done = True
        if not self.done:
            self.polls += 1
            if self.polls <= polls_pending:
                self.last_pending_poll_at = now
        return self.done

    def restart(self, now: float) -> None:
        """Start over (a greylisted email is retried by Snov.io: the client must wait again)."""
        self.started_at = now
        self.polls = 0
        self.done = False
        self.last_pending_poll_at = None
        self.completed_at = None


def poll(state: SandboxState, progress: Progress) -> bool:
    """Advance ``progress`` by one poll with the state's clock and current task knobs."""
    cfg = state.config
    with state.lock:
        return progress.poll(state.now(), delay_seconds=cfg.task_delay_seconds, polls_pending=cfg.task_polls_pending)


@dataclass(eq=False)
class Task:
    """A v2 task. ``payload`` holds what the result route renders (computed when the task started)."""

    task_hash: str
    kind: str
    progress: Progress
    payload: dict[str, Any] = field(default_factory=dict)
    #: A terminal status known at start time (``not_enough_credits``): answered without waiting.
    terminal_status: str | None = None


class TaskRegistry:
    """The v2 tasks of one sandbox account."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def create(
        self, state: SandboxState, kind: str, payload: dict[str, Any], terminal_status: str | None = None
    ) -> Task:
        with state.lock:
            task_hash = secrets.token_hex(16)
            while task_hash in self._tasks:  # pragma: no cover - 128 random bits
                task_hash = secrets.token_hex(16)
            task = Task(task_hash, kind, Progress(state.now()), payload, terminal_status)
            self._tasks[task_hash] = task
            return task

    def get(self, task_hash: str | None, *kinds: str) -> Task:
        """The task of one of ``kinds`` or ``EntityNotFound`` (unknown, malformed or other family)."""
        if not task_hash or not TASK_HASH_RE.match(task_hash):
            raise EntityNotFound(task_hash)
        task = self._tasks.get(task_hash)
        if task is None or (kinds and task.kind not in kinds):
            raise EntityNotFound(task_hash)
        return task

    def status(self, state: SandboxState, task: Task) -> str:
        """Poll ``task`` once: ``completed``, ``in_progress`` or its terminal status.

        A task completed at least ``task_hash_ttl_seconds`` ago (when that knob is > 0) is forgotten and
        raises ``EntityNotFound``, as an unknown hash does.
        """
        if task.terminal_status is not None:
            return task.terminal_status
        cfg = state.config
        if cfg.task_hash_ttl_seconds > 0:
            with state.lock:
                ready = task.progress.ready_at(
                    delay_seconds=cfg.task_delay_seconds, polls_pending=cfg.task_polls_pending
                )
                if ready is not None and state.now() - ready >= cfg.task_hash_ttl_seconds:
                    self._tasks.pop(task.task_hash, None)
                    raise EntityNotFound(task.task_hash)
        return COMPLETED if poll(state, task.progress) else IN_PROGRESS


def extension(state: SandboxState, name: str, factory: Callable[[], T]) -> T:
    """``state.extensions[name]``, created with ``factory`` on first use.

    ``SandboxState.reset()`` clears ``state.extensions``, so per-family state built here is forgotten on
    reset even for a family whose ``init_state`` hook did not run.
    """
    with state.lock:
        found = state.extensions.get(name)
        if found is None:
            found = state.extensions[name] = factory()
        return found


def registry(state: SandboxState) -> TaskRegistry:
    """The account's v2 task registry."""
    return extension(state, EXTENSION, TaskRegistry)


def v2_result(state: SandboxState, task_hash: str | None, family: str, meta_key: str) -> dict[str, Any]:
    """The body of a v2 ``.../result?task_hash=`` answer (verification, finder): status, data once done."""
    tasks = registry(state)
    task = tasks.get(task_hash, family)
    status = tasks.status(state, task)
    return {
        "status": status,
        "data": task.payload["data"] if status == COMPLETED else [],
        "meta": {meta_key: task.payload[meta_key], "task_hash": task.task_hash},
    }
