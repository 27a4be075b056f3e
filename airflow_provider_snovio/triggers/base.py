"""The one polling loop every Snov.io trigger runs, and the event it ends with.

A trigger here is a :class:`~airflow_provider_snovio.triggers.pollers.Poller` (what to read, when to
stop) plus this loop (how to wait). The loop:

* reads the connection through ``airflow.providers.common.compat.connection.get_async_connection``
  (:meth:`SnovioHook.async_client`) and talks through the async client, so every read goes through the
  account's shared rate limiter (awaited, never blocking the event loop) and the shared token cache;
* calls only the free reads the poller names (checked again before every call);
* ends at an absolute ``deadline`` (epoch seconds), so a trigger re-created after a triggerer restart
  keeps the original deadline instead of starting a new timeout;
* sleeps on every path that loops (after a pending answer, a transient failure or the hourly quota);
* keeps what a round read before one of its requests failed (the poller absorbs the answers so far), and
  classifies the failure by its cause: the hourly quota waits (not a failure), a transient error counts
  towards ``max_consecutive_failures`` - also when it stopped a split request part-way
  (:class:`SnovioPartialError`, classified by its ``cause``);
* gives up after ``max_consecutive_failures`` failed rounds in a row;
* yields exactly one terminal event: ``{"status": "success" | "error" | "timeout", "message": ..., ...}``.

Its kwargs are JSON values only (str, int, float, bool, list, dict, None): Airflow 3.2+ serialises
trigger kwargs strictly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.api.errors import (
    SnovioError,
    SnovioPartialError,
    SnovioRateLimitError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTooManyProcessingError,
    SnovioTransportError,
    SnovioValidationError,
)
from airflow_provider_snovio.triggers.pollers import Poller, absorb_failed_round, check_poll_method

#: Failures worth another poll (the client has already retried each of them a few times).
TRANSIENT_ERRORS = (SnovioTransportError, SnovioServerError, SnovioRateLimitError, SnovioResponseError)
DEFAULT_MAX_CONSECUTIVE_FAILURES = 5
#: A trigger never polls faster than this, whatever it was given.
MIN_POLL_INTERVAL = 0.01


def event(status: str, message: str, **fields: Any) -> TriggerEvent:
    return TriggerEvent({"status": status, "message": message, **fields})


class SnovioPollingTrigger(BaseTrigger):
    """Base of the Snov.io triggers: subclasses name their poller class and its keyword arguments.

    :param snovio_conn_id: the ``snovio`` connection to poll with.
    :param deadline: absolute end of the wait, epoch seconds (``time.time() + timeout``).
    :param poll_interval: seconds between polls.
    :param max_consecutive_failures: failed polls in a row after which the trigger ends with an error.
    """

    poller_class: ClassVar[type[Poller]]

    def __init__(
        self,
        *,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        deadline: float,
        poll_interval: float = 5.0,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        **poller_kwargs: Any,
    ) -> None:
        super().__init__()
        self.poller = self.poller_class(**poller_kwargs)  # validates: a bad trigger fails when built
        self.snovio_conn_id = str(snovio_conn_id)
        try:
            self.deadline = float(deadline)
            self.poll_interval = max(float(poll_interval), MIN_POLL_INTERVAL)
            self.max_consecutive_failures = int(max_consecutive_failures)
        except (TypeError, ValueError) as error:
            raise SnovioValidationError("deadline/poll_interval", str(error)) from None
        if self.max_consecutive_failures < 1:
            raise SnovioValidationError("max_consecutive_failures", "must be at least 1")

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "snovio_conn_id": self.snovio_conn_id,
                "deadline": self.deadline,
                "poll_interval": self.poll_interval,
                "max_consecutive_failures": self.max_consecutive_failures,
                **self.poller.kwargs(),
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        try:
            client = await SnovioHook(self.snovio_conn_id).async_client()
        except Exception as error:  # connection missing or unusable: one terminal event, no loop
            yield event(
                "error", f"cannot read connection {self.snovio_conn_id!r}: {error}", error_type=type(error).__name__
            )
            return
        try:
            async for final in self._poll_until_done(client):
                yield final
                return
        finally:
            await client.aclose()

    async def _poll_until_done(self, client: Any) -> AsyncIterator[TriggerEvent]:
        poller = self.poller
        failures = 0
        while True:
            wait = self.poll_interval
            try:
                try:
                    await self._round(client, poller)
                except SnovioPartialError as partial:
                    raise partial.cause from partial  # the answers it carries: see _round
                failures = 0
                done = poller.done_payload()
                if done is not None:
                    yield event("success", "done", **done)
                    return
                wait = poller.wait_hint(self.poll_interval)
            except SnovioTooManyProcessingError as error:
                # The hourly quota counts status reads too: wait until it frees up (not a failure).
                wait = max(wait, float(error.retry_after or 0.0))
                self.log.warning("Snov.io hourly quota reached; next poll in %.0f s", wait)
            except TRANSIENT_ERRORS as error:
                failures += 1
                if failures >= self.max_consecutive_failures:
                    yield event(
                        "error",
                        f"{failures} polls in a row failed; last: {error}",
                        error_type=type(error).__name__,
                        **poller.pending_payload(),
                    )
                    return
                self.log.warning(
                    "Snov.io poll failed (%s); %d of %d in a row", error, failures, self.max_consecutive_failures
                )
            except SnovioError as error:  # out of credits, unknown task_hash, refused: waiting cannot help
                yield event("error", str(error), error_type=type(error).__name__, **poller.pending_payload())
                return
            except Exception as error:  # a bug must still end the wait with one event
                yield event("error", f"{type(error).__name__}: {error}", error_type=type(error).__name__)
                return
            remaining = self.deadline - time.time()
            if remaining <= 0:
                yield event("timeout", "deadline passed with work still pending", **poller.pending_payload())
                return
            await asyncio.sleep(min(wait, remaining))

    @staticmethod
    async def _round(client: Any, poller: Poller) -> None:
        """One round: every call the poller names, in order. If one fails, the answers before it (and the
        answers a split request brought before stopping) are absorbed first, then the failure is raised."""
        answers: list[Any] = []
        try:
            for row, arguments in poller.calls():
                answers.append(await client.call(check_poll_method(row), **arguments))
        except BaseException as error:
            absorb_failed_round(poller, answers, error)
            raise
        poller.absorb(answers)
