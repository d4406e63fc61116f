"""The partial-export gate's arithmetic and settings."""

import datetime as dt

import pytest

from quality.partial_export import (
    Headcount,
    accepted_keys,
    blocked_message,
    excessive_losses,
    max_loss_share,
)

BEFORE = Headcount(dt.date(2026, 11, 6), connections=1000, followers=5000)


def test_losing_more_than_the_allowed_share_of_connections_or_followers_is_flagged():
    assert excessive_losses(Headcount(dt.date(2026, 11, 20), 810, 4100), BEFORE, 0.2) == []
    (loss,) = excessive_losses(Headcount(dt.date(2026, 11, 20), 600, 4900), BEFORE, 0.2)
    assert (loss.what, loss.share) == ("connections", pytest.approx(0.4))
    (loss,) = excessive_losses(Headcount(dt.date(2026, 11, 20), 1000, 3000), BEFORE, 0.2)
    assert loss.what == "followers"


def test_followers_are_compared_only_when_both_snapshots_have_a_list():
    no_list = Headcount(dt.date(2026, 11, 20), 1000, None)
    assert excessive_losses(no_list, BEFORE, 0.2) == []
    assert excessive_losses(BEFORE, None, 0.2) == []  # a first snapshot has nothing to lose


def test_the_share_comes_from_lnw_max_loss(monkeypatch):
    monkeypatch.delenv("LNW_MAX_LOSS", raising=False)
    assert max_loss_share() == 0.2
    monkeypatch.setenv("LNW_MAX_LOSS", "35%")
    assert max_loss_share() == pytest.approx(0.35)
    monkeypatch.setenv("LNW_MAX_LOSS", "0.5")
    assert max_loss_share() == 0.5
    monkeypatch.setenv("LNW_MAX_LOSS", "lots")
    with pytest.raises(ValueError, match="LNW_MAX_LOSS"):
        max_loss_share()


def test_accepted_keys_are_listed_by_comma_or_space():
    assert accepted_keys("me:2026-11-20, ann:2026-11-06", None, "bo:2026-10-01") == {
        "me:2026-11-20",
        "ann:2026-11-06",
        "bo:2026-10-01",
    }


def test_the_message_says_what_was_found_and_how_to_accept_it():
    losses = excessive_losses(Headcount(dt.date(2026, 11, 20), 600, 5000), BEFORE, 0.2)
    message = blocked_message("me:2026-11-20", BEFORE, losses, 0.2)
    assert "40% of connections lost (1000 -> 600) since 2026-11-06" in message
    assert "lnw run --accept-partial me:2026-11-20" in message
