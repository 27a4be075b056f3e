"""The LinkedIn and interest columns of ``campaign_analytics`` (the 2026 analytics answer), on SQLite and PostgreSQL.

Checked two ways, both against what the sandbox serves, never against numbers copied here: each column equals
the analytics answer (#19) it was read from, typed (rates as floats), and the LinkedIn reply columns agree with
an independent endpoint, all-replies (#73), which serves one record per contact and reply type.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from airflow_provider_snovio.api.records import rate
from airflow_provider_snovio.api.resources import ANALYTICS_METRICS, resource
from airflow_provider_snovio.sandbox.data.recipients import linkedin_replies
from airflow_provider_snovio.transfers.warehouse import Warehouse, sync

TABLE = "snovio_campaign_analytics"
#: The whole seeded history (every event of the sandbox's campaigns falls inside it).
HISTORY = (date(2024, 1, 1), date(2026, 12, 31))
LINKEDIN_COLUMNS = {
    "connection_request_replies": "linkedinInvite",
    "message_replies": "linkedinMessage",
    "in_mail_replies": "linkedinInMail",
}
#: The LinkedIn block and the interest block close the documented order (contacted_by_linkedin onwards).
NEW_COLUMNS = ANALYTICS_METRICS[ANALYTICS_METRICS.index("contacted_by_linkedin") :]


def test_linkedin_and_interest_columns_are_the_answer_and_agree_with_all_replies(warehouse, snovio_sandbox, client):
    campaigns = snovio_sandbox.state.data.campaigns.campaigns
    camp = next(
        c for c in campaigns if linkedin_replies(c) and any(e.sentiment for e in c.replies) and len(c.replies) < 1000
    )
    sync(
        client,
        Warehouse(warehouse.engine),
        resource("campaign_analytics"),
        TABLE,
        campaign_ids=[camp.id],
        dates=HISTORY,
        lookback_days=0,
    )
    with warehouse.engine.connect() as connection:
        row = connection.execute(text(f"SELECT * FROM {TABLE}")).mappings().one()
    upstream = client.get_campaign_analytics(
        campaign_ids=[camp.id], date_from=HISTORY[0].isoformat(), date_to=HISTORY[1].isoformat()
    )

    assert len(NEW_COLUMNS) == 24  # every LinkedIn, interest and per-type reply figure, with their rates
    for column in NEW_COLUMNS:
        expected = rate(upstream[column]) if column.endswith("_rate") else upstream[column]
        assert row[column] == expected, column
        if column.endswith("_rate"):
            assert isinstance(row[column], float), column

    # An independent source: #73's LinkedIn records, one per contact and reply type.
    per_type: dict[str, set[str]] = {kind: set() for kind in LINKEDIN_COLUMNS.values()}
    for record in client.iter_campaign_all_replies(camp.id):
        if record["replyType"] in per_type:
            per_type[record["replyType"]].add(record["prospectId"])
    for column, kind in LINKEDIN_COLUMNS.items():
        assert row[column] == len(per_type[kind]), column
    everyone = set().union(*per_type.values())
    assert row["linkedin_total_replies"] == row["contacted_by_linkedin"] == len(everyone) > 0

    assert row["interested"] + row["maybe"] + row["not_interested"] > 0  # the seeded sentiments are counted
    assert row["interested"] + row["maybe"] + row["not_interested"] <= row["email_replies"]
