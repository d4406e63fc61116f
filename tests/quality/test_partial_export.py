"""The partial-export gate's arithmetic and settings."""

import datetime as dt

import pytest

from quality.partial_export import (
    accepted_keys,
    excessive_loss,
    max_loss_share,
    observation_blocked_message,
)


def test_losing_more_than_the_allowed_share_is_flagged():
    assert excessive_loss("connections", 1000, 810, 0.2) is None
    loss = excessive_loss("connections", 1000, 600, 0.2)
    assert (loss.what, loss.share) == ("connections", pytest.approx(0.4))
    assert excessive_loss("followers", 5000, 3000, 0.2).what == "followers"
    assert excessive_loss("followers", 0, 0, 0.2) is None  # nothing to lose


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
    loss = excessive_loss("connections", 1000, 600, 0.2)
    message = observation_blocked_message(
        "me:2026-11-20", "connections", dt.date(2026, 11, 6), loss, 0.2
    )
    assert "the archive of me:2026-11-20 looks like a partial export" in message
    assert "40% of connections lost (1000 -> 600) since the archive of 2026-11-06" in message
    assert "lnw run --accept-partial me:2026-11-20" in message
