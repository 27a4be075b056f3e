"""The sandbox's deleted campaign: ``DELETE /_sandbox/campaigns/{id}`` and the ``deleted_campaign_answer`` knob.

Snov.io does not document what the endpoints of a deleted campaign answer; the knob serves each plausible
reading, and the warehouse tests prove the sync right under each.
"""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_snovio.api.errors import SnovioApiError, SnovioNotFoundError, SnovioResponseError
from airflow_provider_snovio.sandbox.config import DELETED_CAMPAIGN_ANSWERS


def test_a_deleted_campaign_leaves_the_listing_until_reset(snovio_sandbox, client):
    victim = snovio_sandbox.state.data.campaigns.campaigns[1].id
    answer = snovio_sandbox.delete_campaign(victim)
    assert answer == {
        "success": True,
        "deleted": victim,
        "campaigns": len(snovio_sandbox.state.data.campaigns.campaigns),
    }
    assert victim not in {c["id"] for c in client.get_user_campaigns()}
    assert httpx.delete(f"{snovio_sandbox.base_url}/_sandbox/campaigns/{victim}").status_code == 404  # gone
    snovio_sandbox.reset()
    assert victim in {c["id"] for c in client.get_user_campaigns()}


@pytest.mark.parametrize("answer", DELETED_CAMPAIGN_ANSWERS)
def test_each_answer_of_a_deleted_campaign(snovio_sandbox, client, answer):
    snovio_sandbox.configure(deleted_campaign_answer=answer)
    victim = next(c for c in snovio_sandbox.state.data.campaigns.campaigns if c.replies and c.finished).id
    snovio_sandbox.delete_campaign(victim)
    reads = (lambda: client.get_campaign_replies(victim, offset=0), lambda: client.get_finished_prospects(victim))
    for read in reads:
        if answer == "404":
            with pytest.raises(SnovioNotFoundError):
                read()
        elif answer == "200-empty":
            assert read() == []
        else:
            with pytest.raises((SnovioApiError, SnovioResponseError), match="Campaign not found"):
                read()
    never_existed = 1
    with pytest.raises(SnovioNotFoundError):  # an id that never existed is a 404 under every knob value
        client.get_campaign_replies(never_existed, offset=0)


def test_the_knob_refuses_an_unknown_answer(snovio_sandbox):
    with pytest.raises(ValueError, match="deleted_campaign_answer must be one of"):
        snovio_sandbox.configure(deleted_campaign_answer="410")
