"""The manual's examples of the account, list, campaign, enrichment, webhook and API operators build a DAG.

Each ```python block of ``docs/operators.md`` (where the README's table links every operator) that imports
only these operators runs inside a DAG: a renamed parameter or class in the code fails here before it
misleads a reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

OPERATORS_DOC = Path(__file__).resolve().parents[2] / "docs" / "operators.md"
MINE = {
    "SnovioAddProspectsToListOperator",
    "SnovioBalanceCheckOperator",
    "SnovioCreateListOperator",
    "SnovioDoNotEmailOperator",
    "SnovioCampaignAnalyticsOperator",
    "SnovioChangeRecipientStatusOperator",
    "SnovioProfileEnrichmentOperator",
    "SnovioWebhookOperator",
    "SnovioApiOperator",
}


def _blocks() -> list[str]:
    blocks = []
    for block in re.findall(r"```python\n(.*?)```", OPERATORS_DOC.read_text(), flags=re.S):
        imported = set(re.findall(r"Snovio\w+Operator", block.split(")", 1)[0]))
        if imported and imported <= MINE:
            blocks.append(block)
    return blocks


def test_every_operator_of_mine_has_an_example() -> None:
    shown = {name for block in _blocks() for name in re.findall(r"Snovio\w+Operator", block)}
    assert shown == MINE


@pytest.mark.parametrize("block", _blocks())
def test_example_builds_inside_a_dag(block: str) -> None:
    from airflow.sdk import DAG

    with DAG("readme_example", schedule=None) as dag:
        exec(compile(block, "docs/operators.md", "exec"), {})
    assert dag.task_ids
