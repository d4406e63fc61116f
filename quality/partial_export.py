"""The partial-export gate: an archive or a follower list that loses a large share of the
connections or followers of the previous one of its kind is more likely a truncated export
(LinkedIn sometimes sends one; a scraper can stop half-way) than a real loss, and must not
reach the snapshots unchallenged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import settings
from settings import ACCEPT_ENV, DEFAULT_MAX_LOSS, MAX_LOSS_ENV

__all__ = ["ACCEPT_ENV", "DEFAULT_MAX_LOSS", "MAX_LOSS_ENV"]
# The run tag `lnw run --accept-partial` sets; a run launched from the UI can carry it too.
ACCEPT_TAG = "lnw/accept_partial"


@dataclass(frozen=True)
class Loss:
    what: str  # connections | followers
    before: int
    after: int

    @property
    def share(self) -> float:
        return (self.before - self.after) / self.before

    def describe(self) -> str:
        return f"{self.share:.0%} of {self.what} lost ({self.before} -> {self.after})"


def max_loss_share(value: str | None = None) -> float:
    """The largest share of connections or followers a snapshot may lose: ``value``, else
    ``LNW_MAX_LOSS``, else 20 %. Accepts ``0.2`` or ``20%``."""
    return settings.max_loss(value)


def excessive_loss(what: str, before: int, after: int, max_loss: float) -> Loss | None:
    """The loss from ``before`` to ``after`` people, if it is larger than ``max_loss``."""
    loss = Loss(what, before, after)
    return loss if before > 0 and loss.share > max_loss else None


def accepted_keys(*values: str | None) -> set[str]:
    """Snapshot keys (``account:YYYY-MM-DD``) accepted deliberately, from the run tag and
    ``LNW_ACCEPT_PARTIAL``: separated by commas or spaces."""
    return settings.accepted_partial(values, ACCEPT_TAG)


def observation_blocked_message(
    key: str, kind: str, previous_observed_on: dt.date, loss: Loss, max_loss: float
) -> str:
    """Why an archive or a follower list is not used, and the two ways out."""
    what = "archive" if kind == "connections" else "follower list"
    return (
        f"the {what} of {key} looks like a partial export: {loss.describe()} since the "
        f"{what} of {previous_observed_on}, more than the {max_loss:.0%} allowed "
        f"({MAX_LOSS_ENV}). It is not used: the snapshots and metrics keep the previous one. "
        f"If the export is complete, put the complete one in the inbox; if the loss is real, "
        f"accept it with `lnw run --accept-partial {key}` (or {ACCEPT_ENV}={key})."
    )
