"""The partial-export gate: a snapshot that loses a large share of the account's connections
or followers at once is more likely a truncated export (LinkedIn sometimes sends one; a
scraper can stop half-way) than a real loss, and must not reach the history unchallenged."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

DEFAULT_MAX_LOSS = 0.20
MAX_LOSS_ENV = "LNW_MAX_LOSS"
ACCEPT_ENV = "LNW_ACCEPT_PARTIAL"
# The run tag `lnw run --accept-partial` sets; a run launched from the UI can carry it too.
ACCEPT_TAG = "lnw/accept_partial"


@dataclass(frozen=True)
class Headcount:
    """People of a snapshot the gate compares: identified connections, and followers when
    the snapshot has a follower list (None: unknown, never compared)."""

    snapshot_date: dt.date
    connections: int
    followers: int | None


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
    text = value if value is not None else os.environ.get(MAX_LOSS_ENV, "")
    if not text.strip():
        return DEFAULT_MAX_LOSS
    cleaned = text.strip()
    try:
        share = float(cleaned.rstrip("%")) / (100 if cleaned.endswith("%") else 1)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise ValueError(
            f"{MAX_LOSS_ENV}={text!r} is not a share between 0 and 1 (e.g. 0.2 or 20%)"
        )
    return share


def excessive_losses(current: Headcount, previous: Headcount | None, max_loss: float) -> list[Loss]:
    """Losses since the previous snapshot larger than ``max_loss``; none for a first one."""
    if previous is None:
        return []
    losses = [Loss("connections", previous.connections, current.connections)]
    if previous.followers is not None and current.followers is not None:
        losses.append(Loss("followers", previous.followers, current.followers))
    return [loss for loss in losses if loss.before > 0 and loss.share > max_loss]


def accepted_keys(*values: str | None) -> set[str]:
    """Snapshot keys (``account:YYYY-MM-DD``) accepted deliberately, from the run tag and
    ``LNW_ACCEPT_PARTIAL``: separated by commas or spaces."""
    return {key for value in values if value for key in re.split(r"[,\s]+", value) if key}


def blocked_message(key: str, previous: Headcount, losses: list[Loss], max_loss: float) -> str:
    lost = "; ".join(loss.describe() for loss in losses)
    return (
        f"snapshot {key} looks like a partial export: {lost} since {previous.snapshot_date}, "
        f"more than the {max_loss:.0%} allowed ({MAX_LOSS_ENV}). Its history and metrics were "
        f"not written. If the export is complete, put the complete one in the inbox; if the "
        f"loss is real, accept it with `lnw run --accept-partial {key}` "
        f"(or {ACCEPT_ENV}={key})."
    )
