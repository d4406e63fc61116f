"""`lnw report`: one offline HTML file that answers what to do next, per account and for the
team: headline figures and their change, who arrived and who left, how the network grew, how
relevant it is, what it is made of, and the lists of people to act on.

Reads only the published copy of the warehouse (the `analytics` contract views), read-only, so
it works while a run is writing. The charts are static SVG drawn by matplotlib (text kept as
text, no fonts embedded or fetched); the page comes from a Jinja template with autoescaping,
since names and headlines are whatever people typed. No scripts, and a
Content-Security-Policy that forbids the page to fetch anything.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from inbox.home import Home

TEMPLATES = Path(__file__).parent / "templates"
# Colour-blind-safe (Okabe-Ito), so the series stay apart for everyone.
BLUE, ORANGE, GREEN, PINK, SKY, VERMILLION, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#999999",
)
TOP_PEOPLE = 15
TOP_COMPANIES = 10
# An en dash marks an unknown or absent value (never a zero).
MISSING = "\u2013"
CONNECTED = ("mutual", "connection_only", "connection")
SENIORITY = ("founder", "c-level", "vp", "director", "manager", "student", "other", "unknown")


class ReportError(Exception):
    """Raised when there is nothing to report on; the message says what to do."""


@dataclass(frozen=True)
class Chart:
    """A chart as the page shows it: its title, the SVG, and a text alternative."""

    title: str
    svg: str
    alt: str


# ---- reading the views ----------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _by_account(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["account"], []).append(row)
    return grouped


def _snapshots(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    return _by_account(
        _rows(
            con,
            "SELECT r.account, r.snapshot_date, r.followers, r.connections, r.new_followers, "
            "r.lost_followers, r.new_connections, r.lost_connections, "
            "m.active_conversations_90d, m.connection_headroom, m.weeks_to_cap_at_acceptance, "
            "n.relevance_rate, n.follower_relevance_rate, n.recent_relevance_rate "
            "FROM analytics.reach AS r "
            "LEFT JOIN analytics.messaging_capacity AS m USING (account, snapshot_date) "
            "LEFT JOIN analytics.network_relevance AS n USING (account, snapshot_date) "
            "ORDER BY r.account, r.snapshot_date",
        )
    )


def _top(con: duckdb.DuckDBPyConnection, view: str, order: str) -> dict[str, list[dict]]:
    """The first TOP_PEOPLE rows of a list per account, in `order`, with the list's length."""
    return _by_account(
        _rows(
            con,
            f"SELECT * FROM (SELECT *, row_number() OVER w AS place, count(*) OVER "
            f"(PARTITION BY account) AS listed FROM {view} "
            f"WINDOW w AS (PARTITION BY account ORDER BY {order})) "
            f"WHERE place <= {TOP_PEOPLE} ORDER BY account, place",
        )
    )


def _job_changes(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Job changes seen at each account's latest snapshot, of people relevant now."""
    return _by_account(
        _rows(
            con,
            """
            SELECT e.account, e.event, e.previous_snapshot_date, c.full_name, c.profile_url,
                   c.company, c.position, c.relevance_score
            FROM analytics.relationship_events AS e
            JOIN analytics.current_relationships AS c
                ON c.account = e.account AND c.person_key = e.person_key
            WHERE e.event IN ('changed company', 'changed position')
              AND e.event_date = c.snapshot_date AND c.is_relevant
            ORDER BY e.account, c.relevance_score DESC, c.full_name
            """,
        )
    )


def _data(con: duckdb.DuckDBPyConnection) -> dict:
    return {
        "snapshots": _snapshots(con),
        "growth": _by_account(
            _rows(con, "SELECT * FROM analytics.network_growth ORDER BY account, month")
        ),
        "composition": _by_account(
            _rows(
                con,
                "SELECT * FROM analytics.network_composition "
                "ORDER BY account, dimension, connections DESC, value",
            )
        ),
        "reengage": _top(
            con,
            "analytics.reengage",
            "relevance_score DESC, last_conversation_on NULLS FIRST, full_name",
        ),
        "stale": _top(con, "analytics.stale_invitations", "days_pending DESC, full_name"),
        "candidates": _top(con, "analytics.invite_candidates", "relevance_score DESC, full_name"),
        "job_changes": _job_changes(con),
        "team_reach": _rows(con, "SELECT * FROM analytics.team_reach"),
        "team_overlap": _rows(
            con,
            "SELECT *, count(*) OVER () AS listed FROM analytics.team_overlap "
            f"ORDER BY len(accounts) DESC, full_name LIMIT {TOP_PEOPLE}",
        ),
    }


# ---- charts -------------------------------------------------------------------------------

_RC = {
    # Text stays text: searchable, sharp, and no glyph outlines bloating the file; the browser
    # draws it with the page's own font stack.
    "svg.fonttype": "none",
    # Names such as "$1M ARR Club" are text, not mathematics.
    "text.parse_math": False,
    "svg.hashsalt": "lnw-report",  # the same data gives the same file
    "font.family": ["sans-serif"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "axes.axisbelow": True,
    "legend.frameon": False,
}
_SVG_HEAD = re.compile(r"^.*?(?=<svg)", re.DOTALL)


# Chart geometry, in inches. Panels are placed from measured label widths rather than by a
# layout engine: matplotlib's constrained layout draws each figure twice and measures every
# artist, which was half of the report's rendering time (0.62 of 1.31 s for one account).
WIDTH = 6.4
TITLE_ROOM = 0.32  # a bold axes title above each panel
TICKS_ROOM = 0.45  # tick labels below, with a concise date axis's second line (the year)
LEGEND_ROOM = 0.28  # a figure legend under the panels
TICK_PAD = 0.14  # tick marks and the gap between a tick label and its axis
PANEL_GAP = 0.3  # right of each panel: half the widest x tick label overhangs the axis


def _figure(rows: int = 1, cols: int = 1, height: float = 2.6, **kwargs):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, height))
    return figure, figure.subplots(rows, cols, squeeze=False, **kwargs)


@functools.cache
def _text_measure():
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    return TextToPath(), FontProperties(family=_RC["font.family"], size=_RC["font.size"])


def _text_width(texts: list[str]) -> float:
    """The widest of ``texts`` at the tick labels' size, in inches."""
    measure, font = _text_measure()
    widths = [measure.get_text_width_height_descent(t, font, ismath=False)[0] for t in texts]
    return max(widths, default=0.0) / 72


def _tick_labels(ax) -> list[str]:
    """The y tick labels the axis will draw: its formatter over the ticks within its view."""
    low, high = sorted(ax.get_ylim())
    ticks = [t for t in ax.yaxis.get_majorticklocs() if low <= t <= high]
    return list(ax.yaxis.get_major_formatter().format_ticks(ticks))


def _place(figure) -> None:
    """Each panel of the one row placed right of its own tick labels, the width left shared
    equally, with room for titles above and tick labels (and a legend) below."""
    height = figure.get_figheight()
    axes = figure.axes
    bottom = TICKS_ROOM + (LEGEND_ROOM if figure.legends else 0.0)
    lefts = [_text_width(_tick_labels(ax)) + TICK_PAD for ax in axes]
    panel = (WIDTH - sum(lefts) - PANEL_GAP * len(axes)) / len(axes)
    x = 0.0
    for ax, left in zip(axes, lefts, strict=True):
        x += left
        ax.set_position(
            [x / WIDTH, bottom / height, panel / WIDTH, (height - bottom - TITLE_ROOM) / height]
        )
        x += panel + PANEL_GAP


def warm_up() -> None:
    """Import matplotlib and draw one throwaway chart (0.4-0.6 s of one core on the first
    report of a process): for `lnw run` to do while its load waits for GX."""
    figure, axes = _figure()
    axes[0][0].plot([0, 1], [0, 1])
    _svg(figure, "warm-up", "")


def _legend(figure, **kwargs) -> None:
    """A legend centred under the panels, in the room `_place` leaves for it."""
    figure.legend(loc="lower center", bbox_to_anchor=(0.5, 0.0), **kwargs)


def _svg(figure, title: str, alt: str) -> Chart:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        _place(figure)
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    # Inline in the page: no XML prolog, and the chart names itself for assistive technology.
    svg = _SVG_HEAD.sub("", buffer.getvalue(), count=1)
    label = f"{title}. {alt}".replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg ", f'<svg class="chart" role="img" aria-label="{label}" ', 1)
    return Chart(title, svg, alt)


def _dates_axis(ax) -> None:
    import matplotlib.dates as mdates

    # Concise labels (a year once, then months or days) at a spacing chosen to fit.
    locator = mdates.AutoDateLocator(minticks=2, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _count_axis(ax, percent: bool = False, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    which = ax.yaxis if axis == "y" else ax.xaxis
    which.set_major_locator(MaxNLocator(nbins=4, integer=not percent))
    if percent:
        # As many decimals as the tick step needs, the same on every tick: rates a tenth of a
        # point apart get distinct labels.
        def label(value: float, _position) -> str:
            ticks = which.get_majorticklocs()
            step = min((b - a for a, b in itertools.pairwise(ticks)), default=1)
            decimals = max(0, math.ceil(-math.log10(step * 100))) if step > 0 else 0
            return f"{value * 100:.{decimals}f}%"

        which.set_major_formatter(FuncFormatter(label))
    else:
        which.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _values(rows: list[dict], name: str) -> list[float]:
    return [math.nan if r[name] is None else float(r[name]) for r in rows]


def _number(value: object, percent: bool = False) -> str:
    if value is None:
        return MISSING
    if percent:
        return f"{float(value) * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.0f}"
    return f"{value:,}"


def _unknown(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#555")


def _first_last(rows: list[dict], name: str, percent: bool = False) -> str:
    known = [r for r in rows if r[name] is not None]
    if not known:
        return "unknown"
    first, last = known[0], known[-1]
    if first is last:
        return f"{_number(last[name], percent)} on {last['snapshot_date']}"
    return (
        f"from {_number(first[name], percent)} on {first['snapshot_date']} to "
        f"{_number(last[name], percent)} on {last['snapshot_date']}"
    )


def audience_chart(snaps: list[dict]) -> Chart:
    """Followers and connections, each on an axis of its own that shows its change."""
    dates = [r["snapshot_date"] for r in snaps]
    figure, axes = _figure(1, 2)
    for ax, name, colour in zip(axes[0], ("followers", "connections"), (BLUE, ORANGE), strict=True):
        values = _values(snaps, name)
        ax.set_title(name.capitalize())
        if all(math.isnan(v) for v in values):
            _unknown(ax, "no follower list" if name == "followers" else "unknown")
        ax.plot(dates, values, marker="o", markersize=4, color=colour)
        _dates_axis(ax)
        _count_axis(ax)
    alt = (
        f"Followers {_first_last(snaps, 'followers')}; connections "
        f"{_first_last(snaps, 'connections')}."
    )
    return _svg(figure, "Followers and connections", alt)


def churn_chart(snaps: list[dict]) -> Chart:
    """New (up) and lost (down) followers and connections at each snapshot."""
    import matplotlib.dates as mdates

    dates = [r["snapshot_date"] for r in snaps]
    gaps = [(b - a).days for a, b in itertools.pairwise(dates)] or [7]
    width = max(0.8, min(gaps) * 0.35)
    figure, axes = _figure(1, 2)
    parts = []
    for ax, what in zip(axes[0], ("followers", "connections"), strict=True):
        new = _values(snaps, f"new_{what}")
        lost = [-v for v in _values(snaps, f"lost_{what}")]
        positions = mdates.date2num(dates)
        ax.bar(positions - width / 2, new, width, color=GREEN, label="new")
        ax.bar(positions + width / 2, lost, width, color=VERMILLION, label="lost")
        ax.axhline(0, color="#555", linewidth=0.8)
        ax.set_title(f"{what.capitalize()}: new and lost")
        ax.xaxis_date()
        # Labels at snapshots (at most four, the latest always), not at calendar days.
        stride = math.ceil(len(dates) / 4)
        shown = sorted(set(dates[::stride]) | {dates[-1]})
        ax.set_xticks(mdates.date2num(shown))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        ax.grid(axis="x", visible=False)
        ax.margins(x=0.12)  # the first label clear of the value axis
        _count_axis(ax)
        if all(math.isnan(v) for v in new):
            _unknown(ax, "unknown (needs two snapshots)")
        last = snaps[-1]
        parts.append(
            f"{what}: {_number(last[f'new_{what}'])} new and {_number(last[f'lost_{what}'])} lost"
        )
    # Below the panels, where no bar can be under it.
    _legend(figure, handles=axes[0][0].containers, labels=["new", "lost"], ncols=2)
    alt = f"At the latest snapshot, {snaps[-1]['snapshot_date']}: " + "; ".join(parts) + "."
    return _svg(figure, "New and lost per snapshot", alt)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def growth_chart(growth: list[dict]) -> Chart:
    """Today's connections by the month they connected: the running total and each month."""
    months = [r["month"] for r in growth]
    figure, axes = _figure(1, 2)
    total, added = axes[0]
    total.plot(months, [r["connections_total"] for r in growth], color=BLUE)
    total.set_title("Connections, cumulative")
    # One filled step outline for all months rather than a bar each: years of months are
    # hundreds of bars, which cost seconds to lay out and kilobytes each in the SVG.
    import matplotlib.dates as mdates

    edges = [*months, _next_month(months[-1])]
    added.stairs(
        [r["connections_added"] for r in growth],
        mdates.date2num(edges),
        fill=True,
        color=ORANGE,
    )
    added.xaxis_date()
    added.set_title("Connections added per month")
    for ax in (total, added):
        _dates_axis(ax)
        _count_axis(ax)
    busiest = max(growth, key=lambda r: r["connections_added"])
    alt = (
        f"From {months[0]:%B %Y} to {months[-1]:%B %Y} the network you have today grew to "
        f"{growth[-1]['connections_total']:,} connections; the most added in one month: "
        f"{busiest['connections_added']:,} in {busiest['month']:%B %Y}. People who left are "
        "in no export, so they are not counted."
    )
    return _svg(figure, "Network growth by month, back to the first connection", alt)


def relevance_chart(snaps: list[dict]) -> Chart:
    """The three relevance rates, each in a panel of its own: none can hide another."""
    dates = [r["snapshot_date"] for r in snaps]
    series = (
        ("relevance_rate", "Connections", BLUE),
        ("follower_relevance_rate", "Followers", ORANGE),
        ("recent_relevance_rate", "Recent (90 days)", GREEN),
    )
    figure, axes = _figure(1, 3, height=2.4)
    for ax, (name, title, colour) in zip(axes[0], series, strict=True):
        values = _values(snaps, name)
        ax.set_title(title, fontsize=9)
        if all(math.isnan(v) for v in values):
            _unknown(ax, "unknown")
        ax.plot(dates, values, marker="o", markersize=4, color=colour)
        _dates_axis(ax)
        _count_axis(ax, percent=True)
    alt = "Share matching the ICP: " + "; ".join(
        f"{title.lower()} {_first_last(snaps, name, percent=True)}" for name, title, _ in series
    )
    alt = alt.replace("recent (90 days)", "connections of the last 90 days")
    return _svg(figure, "Relevance rates (share matching the ICP)", alt + ".")


def _short(text: str, size: int = 28) -> str:
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def composition_chart(rows: list[dict]) -> Chart:
    """Top companies (connections, relevant ones beside them) and seniority buckets."""
    companies = [r for r in rows if r["dimension"] == "company"][:TOP_COMPANIES]
    buckets = {r["value"]: r for r in rows if r["dimension"] == "seniority"}
    seniority = [buckets[name] for name in SENIORITY if name in buckets]
    figure, axes = _figure(1, 2, height=3.2)
    left, right = axes[0]
    bar = 0.4
    if companies:
        places = range(len(companies))
        left.barh(
            [p - bar / 2 for p in places],
            [r["connections"] for r in companies],
            bar,
            color=BLUE,
            label="connections",
        )
        left.barh(
            [p + bar / 2 for p in places],
            [r["relevant_connections"] for r in companies],
            bar,
            color=GREEN,
            label="relevant",
        )
        left.set_yticks(list(places), [_short(r["value"]) for r in companies])
        left.invert_yaxis()
    else:
        _unknown(left, "no companies")
    left.set_title(f"Top {len(companies)} companies")
    places = range(len(seniority))
    right.barh(
        [p - bar / 2 for p in places],
        [r["connections"] for r in seniority],
        bar,
        color=BLUE,
        label="connections",
    )
    right.barh(
        [p + bar / 2 for p in places],
        [r["followers"] or 0 for r in seniority],
        bar,
        color=ORANGE,
        label="followers",
    )
    right.set_yticks(list(places), [r["value"] for r in seniority])
    right.invert_yaxis()
    right.set_title("Seniority")
    # One legend below both panels, where no bar can be under it.
    handles = [*right.containers, *left.containers[1:2]]
    labels = ["connections", "followers", "relevant connections"][: len(handles)]
    _legend(figure, handles=handles, labels=labels, ncols=3)
    for ax in (left, right):
        ax.grid(axis="y", visible=False)
        _count_axis(ax, axis="x")
    alt = (
        "Top companies by connections: "
        + (", ".join(f"{r['value']} {r['connections']}" for r in companies) or "none")
        + ". Seniority (connections / followers): "
        + ", ".join(
            f"{r['value']} {r['connections']} / {_number(r['followers'])}" for r in seniority
        )
        + "."
    )
    return _svg(figure, "What the network is made of", alt)


def team_chart(reach: dict) -> Chart:
    """Unique people against the sum over accounts: what the overlap costs the team."""
    figure, axes = _figure(1, 1, height=2.4)
    ax = axes[0][0]
    groups = [("Followers", "followers_sum", "unique_followers")]
    groups.append(("Connections", "connections_sum", "unique_connections"))
    places = range(len(groups))
    bar = 0.38
    sums = [reach[s] or 0 for _, s, _ in groups]
    uniques = [reach[u] or 0 for _, _, u in groups]
    drawn = ax.barh([p - bar / 2 for p in places], sums, bar, color=GREY, label="sum of accounts")
    ax.bar_label(drawn, labels=[_number(reach[s]) for _, s, _ in groups], padding=3, fontsize=8)
    drawn = ax.barh([p + bar / 2 for p in places], uniques, bar, color=BLUE, label="unique people")
    ax.bar_label(drawn, labels=[_number(reach[u]) for _, _, u in groups], padding=3, fontsize=8)
    ax.set_yticks(list(places), [name for name, _, _ in groups])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.15)
    _count_axis(ax, axis="x")
    _legend(figure, ncols=2)
    alt = (
        f"Followers: {_number(reach['followers_sum'])} summed over the accounts with a "
        f"follower list, {_number(reach['unique_followers'])} unique; connections: "
        f"{_number(reach['connections_sum'])} summed, {_number(reach['unique_connections'])} "
        f"unique; {_number(reach['unique_people'])} people in all."
    )
    return _svg(figure, "Team audience: unique people against the sum", alt)


# ---- the page -------------------------------------------------------------------------------


def _change(last: dict, previous: dict | None, name: str, percent: bool = False) -> str | None:
    """The change of a figure since the previous snapshot, signed, or None if unknown."""
    if previous is None or last[name] is None or previous[name] is None:
        return None
    delta = last[name] - previous[name]
    if percent:
        return f"{delta * 100:+.1f} pts"
    return f"{delta:+,}"


def _tiles(snaps: list[dict]) -> list[dict]:
    last = snaps[-1]
    previous = snaps[-2] if len(snaps) > 1 else None
    weeks = last["weeks_to_cap_at_acceptance"]
    tiles = [
        {"label": "followers", "value": _number(last["followers"]),
         "change": _change(last, previous, "followers")},
        {"label": "connections", "value": _number(last["connections"]),
         "change": _change(last, previous, "connections")},
        {"label": "active in 90 days", "value": _number(last["active_conversations_90d"]),
         "change": _change(last, previous, "active_conversations_90d")},
        {"label": "relevance", "value": _number(last["relevance_rate"], percent=True),
         "change": _change(last, previous, "relevance_rate", percent=True)},
        {"label": "headroom", "value": _number(last["connection_headroom"]),
         "change": _change(last, previous, "connection_headroom"),
         "note": None if weeks is None else f"{weeks:,.0f} weeks to the cap at your acceptance"},
    ]  # fmt: skip
    return [{"note": None} | tile for tile in tiles]


def _link(url: str | None) -> str | None:
    # Only web links: a crafted `javascript:` URL in an export must not become clickable.
    return url if url and url.startswith(("https://", "http://")) else None


def _people(rows: list[dict]) -> list[dict]:
    return [row | {"link": _link(row.get("profile_url"))} for row in rows]


def _charts_of(account: str, data: dict) -> list[tuple[Callable[[Any], Chart], Any]]:
    """The account's charts, each as the function that draws it and its rows."""
    snaps = data["snapshots"][account]
    charts: list[tuple[Callable[[Any], Chart], Any]] = [
        (audience_chart, snaps),
        (churn_chart, snaps),
    ]
    growth = data["growth"].get(account)
    if growth:
        charts.append((growth_chart, growth))
    charts.append((relevance_chart, snaps))
    composition = data["composition"].get(account)
    if composition:
        charts.append((composition_chart, composition))
    return charts


def draw(charts: list[tuple[Callable[[Any], Chart], Any]]) -> list[Chart]:
    """Draw each chart with the report's styles."""
    import matplotlib

    # Styles apply to what is created inside the context: the figures, not only their saving.
    with matplotlib.rc_context(_RC), warnings.catch_warnings():
        # Names in scripts the default font lacks: the SVG keeps them as text, and the
        # browser draws them with its own fonts.
        warnings.filterwarnings("ignore", r"Glyph \d+ .* missing from font", UserWarning)
        return [chart(rows) for chart, rows in charts]


def draw_beside(charts: list[tuple[Callable[[Any], Chart], Any]]) -> list[Chart]:
    """Draw the charts, every other one in the second process of `lnw run` when it runs
    (quality/worker.py), idle once the loads' validations are done: matplotlib holds one core
    for 0.1 s a chart, and 5 accounts have 26 of them."""
    from quality import worker

    theirs = worker.beside(draw, charts[1::2]) if len(charts) > 1 else None
    if theirs is None:
        return draw(charts)
    mine = draw(charts[::2])
    try:
        drawn = theirs.result()
    except Exception:  # the process died: draw them here
        drawn = draw(charts[1::2])
    return [chart for pair in itertools.zip_longest(mine, drawn) for chart in pair if chart]


def _account(account: str, data: dict, charts: list[Chart]) -> dict:
    snaps = data["snapshots"][account]
    lists = {
        name: _people(data[name].get(account, []))
        for name in ("reengage", "stale", "candidates", "job_changes")
    }
    return {
        "name": account,
        "latest": snaps[-1]["snapshot_date"],
        "previous": snaps[-2]["snapshot_date"] if len(snaps) > 1 else None,
        "tiles": _tiles(snaps),
        "charts": charts,
        "lists": lists,
        "listed": {name: rows[0]["listed"] if rows else 0 for name, rows in lists.items()
                   if name != "job_changes"},
    }  # fmt: skip


def render_report(published: Path) -> str:
    """The whole report as one HTML string, from the published warehouse copy."""
    if not published.exists():
        raise ReportError(
            f"no published warehouse at {published}: run `lnw run` (or `lnw demo`) first"
        )
    con = duckdb.connect(str(published), read_only=True)
    try:
        data = _data(con)
    finally:
        con.close()
    if not data["snapshots"]:
        raise ReportError(
            f"the warehouse {published} has no snapshot with metrics yet: drop exports into "
            "the inbox and run `lnw run`"
        )
    names = list(data["snapshots"])
    planned = [_charts_of(account, data) for account in names]
    reach = data["team_reach"][0] if len(names) > 1 and data["team_reach"] else None
    charts = list(itertools.chain(*planned))
    if reach:
        charts.append((team_chart, reach))
    drawn = iter(draw_beside(charts))
    accounts = [
        _account(account, data, list(itertools.islice(drawn, len(charts))))
        for account, charts in zip(names, planned, strict=True)
    ]
    team = None
    if reach:
        team = {
            "reach": reach,
            "chart": next(drawn),
            "shared": _people(data["team_overlap"]),
            "listed": data["team_overlap"][0]["listed"] if data["team_overlap"] else 0,
        }
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            accounts=accounts,
            team=team,
            published=str(published),
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            top=TOP_PEOPLE,
            missing=MISSING,
        )
    )


def _environment():
    import jinja2
    import markupsafe

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    # The one string not escaped: SVG that matplotlib wrote, which escapes the data's text.
    environment.filters["svg"] = lambda chart: markupsafe.Markup(chart.svg)
    return environment


def write_report(home: Home, out: Path | None = None) -> Path:
    target = (out or home.root / "report.html").expanduser().resolve()
    page = render_report(home.published)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(target)
    return target
