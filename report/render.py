"""`lnw report`: one offline HTML file with the network's reach, capacity and relevance over time.

Reads only the published copy of the warehouse (the `analytics` contract views), read-only, so
it works while a run is writing. The charts are SVG drawn here: no scripts, no fonts, no CDN,
and a Content-Security-Policy that forbids the page to fetch anything. Every text that comes
from the data goes through `html.escape`, since names and headlines are whatever people typed.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from inbox.home import Home, icp_path

# Colour-blind-safe (Okabe-Ito) so the series stay apart for everyone.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
CHANGES_PER_ACCOUNT = 40
# An en dash marks an unknown or absent value (never a zero).
MISSING = "\u2013"
WIDTH, HEIGHT = 560, 256
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 64


class ReportError(Exception):
    """Raised when there is nothing to report on; the message says what to do."""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _nice_max(value: float) -> float:
    """The axis top: four gridline steps of a round size (25, 1500, ...) reaching `value`."""
    if value <= 4:
        return 4.0  # counts: whole-number gridlines even for tiny values
    quarter = value / 4
    magnitude = 10 ** math.floor(math.log10(quarter))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if quarter <= step * magnitude:
            return 4 * step * magnitude
    return 40 * magnitude


def _label(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:g}"


def _frame(title: str, top: float, percent: bool, body: list[str], legend: list[Series]) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{esc(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{esc(title)}</title>",
    ]
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{_label(value, percent)}</text>"
        )
    parts.extend(body)
    # The legend wraps onto a second row rather than running off the chart.
    x, y = LEFT, HEIGHT - BOTTOM + 28
    for index, series in enumerate(legend):
        colour = PALETTE[index % len(PALETTE)]
        width = 22 + 6.5 * len(series.name)
        if x + width > WIDTH and x > LEFT:
            x, y = LEFT, y + 16
        parts.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y + 9}" class="legend">{esc(series.name)}</text>'
        )
        x += width
    parts.append("</svg>")
    return "".join(parts)


def _x_ticks(dates: Sequence[dt.date], xs: Sequence[float]) -> list[str]:
    # At most six labels, always the first and the last, so long histories stay legible.
    every = max(1, math.ceil(len(dates) / 6))
    shown = {i for i in range(0, len(dates), every)} | {len(dates) - 1}
    ticks = []
    for i in sorted(shown):
        # Labels at the plot's edges are anchored inwards so that they are not cut off.
        anchor = "start" if xs[i] - 30 < LEFT - 20 else "end" if xs[i] + 30 > WIDTH else "middle"
        ticks.append(
            f'<text x="{xs[i]:.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" '
            f'text-anchor="{anchor}">{dates[i].isoformat()}</text>'
        )
    return ticks


def line_chart(
    title: str, dates: Sequence[dt.date], series: Sequence[Series], *, percent: bool = False
) -> str:
    """Lines over time, x proportional to the date; a missing value breaks the line."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [v for s in series for v in s.values if v is not None]
    top = 1.0 if percent and (not known or max(known) <= 1) else _nice_max(max(known, default=0))
    span = (dates[-1] - dates[0]).days if len(dates) > 1 else 0
    xs = [LEFT + (plot_w * (d - dates[0]).days / span if span else plot_w / 2) for d in dates]
    body = _x_ticks(dates, xs)
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [
            (xs[i], TOP + plot_h - plot_h * v / top, dates[i], v)
            for i, v in enumerate(one.values)
            if v is not None
        ]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(one.values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append((xs[i], TOP + plot_h - plot_h * v / top))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                body.append(
                    f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
                )
        for x, y, day, value in points:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{esc(one.name)} {day.isoformat()}: {_label(value, percent)}</title>"
                "</circle>"
            )
    return _frame(title, top, percent, body, list(series))


def stacked_bars(title: str, dates: Sequence[dt.date], series: Sequence[Series]) -> str:
    """One stacked bar per snapshot (evenly spaced: snapshots are what is compared)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(dates))]
    top = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(dates), 1)
    bar = min(48.0, slot * 0.7)
    xs = [LEFT + slot * (i + 0.5) for i in range(len(dates))]
    body = _x_ticks(dates, xs)
    for i, day in enumerate(dates):
        base = 0.0
        for index, one in enumerate(series):
            value = one.values[i] or 0
            if value <= 0:
                continue
            height = plot_h * value / top
            y = TOP + plot_h - plot_h * base / top - height
            body.append(
                f'<rect x="{xs[i] - bar / 2:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                f"<title>{esc(one.name)} {day.isoformat()}: {value:g}</title></rect>"
            )
            base += value
    return _frame(title, top, False, body, list(series))


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _snapshots(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    rows = _rows(
        con,
        "SELECT r.account, r.snapshot_date, r.followers, r.connections, r.mutual, "
        "r.connection_only, r.follower_only, r.followers_source, "
        "m.active_conversations_90d, m.dormant_connections, m.pending_outbound, "
        "m.pending_inbound, m.connection_headroom, "
        "n.relevance_rate, n.follower_relevance_rate, n.recent_relevance_rate "
        "FROM analytics.reach AS r "
        "LEFT JOIN analytics.messaging_capacity AS m USING (account, snapshot_date) "
        "LEFT JOIN analytics.network_relevance AS n USING (account, snapshot_date) "
        "ORDER BY r.account, r.snapshot_date",
    )
    by_account: dict[str, list[dict]] = {}
    for row in rows:
        by_account.setdefault(row["account"], []).append(row)
    return by_account


def latest_changes(con: duckdb.DuckDBPyConnection, icp_file: Path | None) -> list[dict]:
    """Relevant people who arrived or left between each account's last two snapshots.

    Arrivals are relevant by the current relevance (`analytics.current_relationships`);
    people who left are scored against the ICP on their last known position or headline,
    since the warehouse keeps relevance for the latest snapshot only.
    """
    rows = _rows(
        con,
        """
        WITH dates AS (
            SELECT account, snapshot_date,
                   row_number() OVER (PARTITION BY account ORDER BY snapshot_date DESC) AS n
            FROM analytics.reach
        ),
        pair AS (
            SELECT account,
                   max(snapshot_date) FILTER (WHERE n = 1) AS latest,
                   max(snapshot_date) FILTER (WHERE n = 2) AS previous
            FROM dates GROUP BY account
        ),
        before AS (
            SELECT h.* FROM analytics.relationship_history AS h JOIN pair USING (account)
            WHERE pair.previous IS NOT NULL AND h.valid_from <= pair.previous
              AND (h.valid_to IS NULL OR h.valid_to > pair.previous)
        ),
        now AS (
            SELECT c.* FROM analytics.current_relationships AS c JOIN pair USING (account)
            WHERE pair.previous IS NOT NULL
        )
        SELECT coalesce(now.account, before.account) AS account,
               pair.latest AS since,
               CASE WHEN before.person_key IS NULL THEN 'new' ELSE 'lost' END AS change,
               coalesce(now.full_name, before.full_name) AS full_name,
               coalesce(now.profile_url, before.profile_url) AS profile_url,
               coalesce(now.company, before.company) AS company,
               coalesce(now.position, before.position, before.headline) AS position,
               before.headline AS headline,
               before.relationship AS relationship_before,
               now.relationship AS relationship_now,
               now.relevance_score, now.is_relevant
        FROM now FULL JOIN before USING (account, person_key)
        JOIN pair ON pair.account = coalesce(now.account, before.account)
        WHERE now.person_key IS NULL OR before.person_key IS NULL
        ORDER BY account, change DESC, full_name
        """,
    )
    lost = [r for r in rows if r["change"] == "lost"]
    if lost and icp_file is not None:
        import polars as pl
        import yaml

        from transforms.relevance import IdealCustomerProfile, score_relevance

        data = yaml.safe_load(icp_file.read_text()) or {}
        icp = IdealCustomerProfile.from_mapping(data, source=str(icp_file))
        scored = score_relevance(
            pl.DataFrame(
                {
                    "position": [r["position"] for r in lost],
                    "headline": [r["headline"] for r in lost],
                    "company": [r["company"] for r in lost],
                },
                schema={"position": pl.String, "headline": pl.String, "company": pl.String},
            ),
            icp,
        )
        for row, score, relevant in zip(
            lost, scored["relevance_score"], scored["is_relevant"], strict=True
        ):
            row["relevance_score"], row["is_relevant"] = score, relevant
    return [r for r in rows if r["is_relevant"]]


def _num(value: object, percent: bool = False) -> str:
    if value is None:
        return MISSING
    if percent:
        return f"{float(value) * 100:.1f}%"
    return f"{value:,}" if isinstance(value, int) else esc(value)


def _account_section(account: str, snaps: list[dict], changes: list[dict]) -> str:
    dates = [r["snapshot_date"] for r in snaps]
    last = snaps[-1]

    def col(name: str) -> list:
        return [r[name] for r in snaps]

    # Snapshots without a follower list have classes unknown: all connections are `connection`.
    unknown = [r["connections"] if r["mutual"] is None else 0 for r in snaps]
    charts = [
        line_chart(
            f"{account}: followers and connections",
            dates,
            [Series("followers", col("followers")), Series("connections", col("connections"))],
        ),
        stacked_bars(
            f"{account}: relationship classes",
            dates,
            [
                Series("mutual", col("mutual")),
                Series("connection_only", col("connection_only")),
                Series("follower_only", col("follower_only")),
                Series("connection (follow unknown)", unknown),
                Series("pending_outbound", col("pending_outbound")),
                Series("pending_inbound", col("pending_inbound")),
            ],
        ),
        stacked_bars(
            f"{account}: active vs dormant connections (90 days)",
            dates,
            [
                Series("active", col("active_conversations_90d")),
                Series("dormant", col("dormant_connections")),
            ],
        ),
        line_chart(
            f"{account}: relevance rates",
            dates,
            [
                Series("connections", col("relevance_rate")),
                Series("followers", col("follower_relevance_rate")),
                Series("recent connections", col("recent_relevance_rate")),
            ],
            percent=True,
        ),
    ]
    titles = (
        "Followers and connections",
        "Relationship classes",
        "Active vs dormant connections (90 days)",
        "Relevance rates (share matching the ICP)",
    )
    figures = "".join(
        f"<figure><figcaption>{title}</figcaption>{chart}</figure>"
        for title, chart in zip(titles, charts, strict=True)
    )
    notes = []
    if all(v is None for v in col("followers")):
        notes.append(
            "No follower list or analytics workbook in any snapshot: follower figures are "
            "unknown, not zero."
        )
    summary = (
        f"<p class='kpis'>Latest snapshot <b>{dates[-1].isoformat()}</b>: "
        f"<b>{_num(last['followers'])}</b> followers, "
        f"<b>{_num(last['connections'])}</b> connections, "
        f"<b>{_num(last['active_conversations_90d'])}</b> active in 90 days, "
        f"relevance <b>{_num(last['relevance_rate'], True)}</b>, "
        f"headroom <b>{_num(last['connection_headroom'])}</b> connections.</p>"
    )
    return (
        f"<section><h2>{esc(account)}</h2>{summary}"
        + "".join(f"<p class='note'>{esc(n)}</p>" for n in notes)
        + f"<div class='charts'>{figures}</div>"
        + _changes_table(changes, len(snaps))
        + "</section>"
    )


def _person(row: dict) -> str:
    name = esc(row["full_name"] or "(no name)")
    url = row["profile_url"] or ""
    # Only web links: a crafted `javascript:` URL in an export must not become clickable.
    if url.startswith(("https://", "http://")):
        return f'<a href="{esc(url)}" rel="noreferrer">{name}</a>'
    return name


def _changes_table(changes: list[dict], snapshots: int) -> str:
    if snapshots < 2:
        return "<p class='note'>One snapshot so far: changes show from the second one on.</p>"
    if not changes:
        return "<p class='note'>No relevant person arrived or left at the latest snapshot.</p>"
    shown = changes[:CHANGES_PER_ACCOUNT]
    head = (
        f"<h3>Latest changes: relevant people, since {changes[0]['since'].isoformat()}</h3>"
        "<table><thead><tr><th>change</th><th>name</th><th>company</th><th>position</th>"
        "<th>before</th><th>now</th><th>score</th></tr></thead><tbody>"
    )
    body = "".join(
        f"<tr class='{esc(r['change'])}'><td>{esc(r['change'])}</td><td>{_person(r)}</td>"
        f"<td>{esc(r['company'])}</td><td>{esc(r['position'])}</td>"
        f"<td>{esc(r['relationship_before'] or MISSING)}</td>"
        f"<td>{esc(r['relationship_now'] or MISSING)}</td>"
        f"<td>{r['relevance_score']:.2f}</td></tr>"
        for r in shown
    )
    more = (
        f"<p class='note'>{len(changes) - len(shown)} more: "
        "<code>lnw sql</code> on analytics.relationship_history lists them all.</p>"
        if len(changes) > len(shown)
        else ""
    )
    return head + body + "</tbody></table>" + more


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1a1a1a}
h1{margin:0 0 .25rem}h2{border-top:1px solid #ccc;padding-top:1rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}
figcaption{font-weight:600;margin-bottom:.25rem}
svg.chart{background:#fafafa;border:1px solid #e4e4e4;max-width:100%;height:auto}
.grid{stroke:#e0e0e0}.tick{font-size:10px;fill:#555}.legend{font-size:11px;fill:#333}
table{border-collapse:collapse;margin-top:.5rem}td,th{padding:.2rem .6rem;text-align:left;
border-bottom:1px solid #eee}tr.lost td:first-child{color:#D55E00}
tr.new td:first-child{color:#009E73}.note,.meta{color:#555}.kpis b{font-size:1.05em}
"""


def render_report(published: Path, icp_file: Path | None = None) -> str:
    """The whole report as one HTML string, from the published warehouse copy."""
    if not published.exists():
        raise ReportError(
            f"no published warehouse at {published}: run `lnw run` (or `lnw demo`) first"
        )
    con = duckdb.connect(str(published), read_only=True)
    try:
        snapshots = _snapshots(con)
        changes = latest_changes(con, icp_file)
    finally:
        con.close()
    if not snapshots:
        raise ReportError(
            f"the warehouse {published} has no snapshot with metrics yet: drop exports into "
            "the inbox and run `lnw run`"
        )
    by_account: dict[str, list[dict]] = {}
    for row in changes:
        by_account.setdefault(row["account"], []).append(row)
    sections = "".join(
        _account_section(account, snaps, by_account.get(account, []))
        for account, snaps in snapshots.items()
    )
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        # Nothing may be fetched or run: the report is data at rest, safe to mail around.
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>LinkedIn network report</title><style>{STYLE}</style></head><body>"
        "<h1>LinkedIn network report</h1>"
        f"<p class='meta'>{len(snapshots)} account(s), generated {generated} from "
        f"{esc(published)}. Hover a point or bar for its value.</p>"
        f"{sections}</body></html>"
    )


def write_report(home: Home, out: Path | None = None, icp: str | None = None) -> Path:
    target = (out or home.root / "report.html").expanduser().resolve()
    page = render_report(home.published, icp_path(home, icp))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(target)
    return target
