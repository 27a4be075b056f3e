"""The manual's examples of the async-family operators, the sensors and the triggers build a DAG or run
(names and parameters in ``docs/operators.md``, where the README's table links them, are the real ones)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

OPERATORS_DOC = Path(__file__).resolve().parents[2] / "docs" / "operators.md"
HEADINGS = ("## Domain search, finder and verification", "## Sensors")


def _block(heading: str) -> str:
    section = OPERATORS_DOC.read_text().split(heading, 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return block


@pytest.mark.parametrize("heading", HEADINGS)
def test_example_builds_inside_a_dag(heading: str) -> None:
    from airflow.sdk import DAG

    with DAG("readme_async_example", schedule=None) as dag:
        exec(compile(_block(heading), "docs/operators.md", "exec"), {})
    assert len(dag.task_ids) >= 3


def test_every_class_of_mine_has_an_example() -> None:
    text = OPERATORS_DOC.read_text()
    for name in (
        "SnovioDomainSearchOperator",
        "SnovioProspectEmailsOperator",
        "SnovioEmailFinderOperator",
        "SnovioEmailVerificationOperator",
        "SnovioTaskSensor",
        "SnovioEmailVerificationSensor",
        "SnovioCampaignProgressSensor",
        "SnovioTaskTrigger",
        "SnovioEmailVerificationTrigger",
        "SnovioEmailFinderTrigger",
        "SnovioCampaignProgressTrigger",
    ):
        assert name in text, name


def test_the_custom_operator_example_defers_to_a_trigger_and_resumes(snovio_conn_env) -> None:
    """The manual's "operator of your own" example, run for real: execute defers, the trigger polls the
    sandbox to its event, execute_complete returns the company name."""
    from airflow.sdk.exceptions import TaskDeferred

    from tests.airflow.conftest import run_trigger

    section = OPERATORS_DOC.read_text().split("## Deferrable mode, triggers and the triggerer", 1)[1]
    section = section.split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    namespace: dict = {}
    exec(compile(block, "docs/operators.md", "exec"), namespace)
    operator = namespace["CompanyInfoOperator"](task_id="company")
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute({})
    trigger = deferred.value.trigger
    trigger.poll_interval = 0.05  # the example polls every 10 s; the sandbox finishes after one pending poll
    (event,) = run_trigger(trigger)
    assert operator.execute_complete({}, event=event) == "Octagon"
    for name in ("SnovioProfileEnrichmentOperator", "SnovioProfileUrlTrigger"):
        assert name in OPERATORS_DOC.read_text(), name
