"""`lnw report`: an offline HTML page of charts and lists of people, from the published views."""

import datetime as dt
import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest

from inbox.home import Home
from lnw.samples import write_account_exports
from tests.conftest import run_lnw
from tests.ui.chromium import browser_test, headless_page, needs_chromium

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_HEADLINE = 'Founder & CEO at <img src=x onerror="alert(2)">'
EARLY, LATE = dt.date(2026, 10, 2), dt.date(2026, 10, 30)


def add_follower(home: Home, day: dt.date, url: str, first: str, last: str, headline: str):
    follower_list = home.inbox / "me" / f"followers_{day.isoformat()}.csv"
    row = f'{url},"{first}","{last}","{headline.replace(chr(34), chr(34) * 2)}",{day}T09:00:00Z\n'
    follower_list.write_text(follower_list.read_text() + row)


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> tuple[Home, str]:
    """Two accounts; `me` gains a hostile-named relevant follower and loses a relevant one."""
    home = Home(tmp_path_factory.mktemp("report") / "home").ensure()
    for account, seed in (("me", 5), ("agency", 8)):
        write_account_exports(
            home.inbox, account, [EARLY, LATE], n_connections=60, n_followers=90, n_messages=40,
            seed=seed,
        )  # fmt: skip
    add_follower(
        home,
        LATE,
        "https://www.linkedin.com/in/hostile-1",
        HOSTILE_NAME,
        "</svg>",
        HOSTILE_HEADLINE,
    )
    add_follower(home, EARLY, "https://www.linkedin.com/in/gone-founder", "Gone", "Founder", "CEO")
    assert run_lnw(home, "run") == 0
    out = home.root / "out" / "network.html"
    assert run_lnw(home, "report", "--out", str(out)) == 0
    return home, out.read_text(encoding="utf-8")


class Page(HTMLParser):
    """What a browser would build: elements, and the text inside the table cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_cell = self._in_cell or tag == "td"
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data


def sections(page: str) -> dict[str, str]:
    """Each section's HTML by its heading."""
    found = re.findall(r"<section[^>]*>\s*<h2>(.*?)</h2>(.*?)</section>", page, flags=re.DOTALL)
    return {title: body for title, body in found}


def test_each_account_and_the_team_have_a_section_of_titled_charts(reported):
    _, page = reported
    parsed = Page()
    parsed.feed(page)
    assert list(sections(page)) == ["agency", "me", "The team"]
    me = sections(page)["me"]
    for title in (
        "Followers and connections",
        "New and lost per snapshot",
        "Network growth by month, back to the first connection",
        "Relevance rates (share matching the ICP)",
        "What the network is made of",
    ):
        assert f"<figcaption>{title}</figcaption>" in me
    assert "Team audience: unique people against the sum" in sections(page)["The team"]
    # Every chart has a title and a text alternative, also for assistive technology.
    figures = re.findall(r"<figure>(.*?)</figure>", page, flags=re.DOTALL)
    assert len(figures) == 11
    for figure in figures:
        assert re.search(r"<figcaption>.+</figcaption>", figure)
        assert re.search(r'<svg class="chart" role="img" aria-label="[^"]{20,}"', figure)
        assert re.search(r'<p class="alt">.{20,}</p>', figure, flags=re.DOTALL)


def test_charts_drawn_beside_the_run_equal_charts_drawn_in_place(reported):
    # `lnw run` draws every other chart in its second process; `lnw report` draws all here.
    home, page = reported
    from_run = (home.root / "report.html").read_text(encoding="utf-8")
    svgs = re.compile(r"<svg.*?</svg>", re.DOTALL)
    assert len(svgs.findall(page)) == 11  # 5 charts per account, and the team's
    assert svgs.findall(from_run) == svgs.findall(page)


def test_the_page_fetches_nothing_and_runs_nothing(reported):
    _, page = reported
    parsed = Page()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "link" not in parsed.tags
    links = re.findall(r"""href=["']([^"'#][^"']*)""", page)
    assert links and all(link.startswith("https://www.linkedin.com/in/") for link in links)
    assert "default-src 'none'" in page
    # References inside the page only (the charts' clip paths), no font to load.
    assert "@font-face" not in page
    assert set(re.findall(r"url\((.)", page)) <= {"#"}


def test_names_from_the_data_render_as_text(reported):
    _, page = reported
    parsed = Page()
    parsed.feed(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;/svg&gt;" in page
    assert f"{HOSTILE_NAME} </svg>" in parsed.cells
    assert HOSTILE_HEADLINE in parsed.cells


def test_the_tiles_match_the_published_views(reported, capsys):
    home, page = reported
    capsys.readouterr()
    run_lnw(
        home, "sql", "--format", "csv",
        "select followers, connections from analytics.reach "
        "where account = 'me' order by snapshot_date desc limit 1",
    )  # fmt: skip
    followers, connections = capsys.readouterr().out.splitlines()[1].split(",")
    me = sections(page)["me"]
    assert f'<div class="value">{int(followers):,}</div>' in me
    assert f'<div class="value">{int(connections):,}</div>' in me


def names_in(html: str, list_id: str) -> list[str]:
    block = re.search(rf'<div class="list" id="{list_id}">(.*?)</div>', html, flags=re.DOTALL)
    assert block, list_id
    return [unescape(n) for n in re.findall(r'rel="noreferrer">(.*?)</a>', block.group(1))]


def test_the_action_lists_are_the_top_of_the_views(reported, capsys):
    home, page = reported
    me = sections(page)["me"]
    index = list(sections(page)).index("me") + 1
    for list_id, query in (
        ("reengage", "select full_name from analytics.reengage where account = 'me' "
         "order by relevance_score desc, last_conversation_on nulls first, full_name limit 15"),
        ("stale", "select full_name from analytics.stale_invitations where account = 'me' "
         "order by days_pending desc, full_name limit 15"),
        ("candidates", "select full_name from analytics.invite_candidates where account = 'me' "
         "order by relevance_score desc, full_name limit 15"),
    ):  # fmt: skip
        capsys.readouterr()
        assert run_lnw(home, "sql", "--format", "json", query) == 0
        expected = [r["full_name"] for r in json.loads(capsys.readouterr().out)]
        assert expected, list_id
        assert names_in(me, f"{list_id}-{index}") == expected


def test_a_report_before_any_run_says_what_to_do(tmp_path, capsys):
    home = Home(tmp_path / "empty").ensure()
    assert run_lnw(home, "report") == 1
    assert "run `lnw run`" in capsys.readouterr().err
    assert not (home.root / "report.html").exists()


# Text boxes of one chart that overlap by more than this (CSS pixels) collide.
OVERLAP = 1.0
TEXT_BOXES = """svg => [...svg.querySelectorAll('text')].map(t => {
    const r = t.getBoundingClientRect();
    return [t.textContent, r.left, r.top, r.right, r.bottom];
}).filter(b => b[0].trim() && b[3] > b[1])"""


def collisions(boxes: list) -> list[tuple[str, str]]:
    found = []
    for i, (a, l1, t1, r1, b1) in enumerate(boxes):
        for b, l2, t2, r2, b2 in boxes[i + 1 :]:
            if min(r1, r2) - max(l1, l2) > OVERLAP and min(b1, b2) - max(t1, t2) > OVERLAP:
                found.append((a, b))
    return found


@browser_test
@needs_chromium
def test_the_report_renders_in_chromium_offline_without_errors(reported, tmp_path):
    home, _ = reported
    report = home.root / "out" / "network.html"
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with headless_page() as page:
        requests, problems = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.goto(report.as_uri(), wait_until="load")
        charts = page.locator("svg.chart")
        assert charts.count() == 11
        for index in range(charts.count()):
            chart = charts.nth(index)
            box = chart.bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100
            # No label, title, tick or legend text runs into another, or out of the chart
            # (the panels are placed from measured label widths, not by a layout engine).
            texts = chart.evaluate(TEXT_BOXES)
            assert collisions(texts) == [], chart.get_attribute("aria-label")
            outside = [
                text
                for text, left, top, right, bottom in texts
                if left < box["x"] - OVERLAP
                or top < box["y"] - OVERLAP
                or right > box["x"] + box["width"] + OVERLAP
                or bottom > box["y"] + box["height"] + OVERLAP
            ]
            assert outside == [], chart.get_attribute("aria-label")
        # Drawn marks, not empty frames.
        assert page.locator("svg.chart path").count() > 50
        assert page.get_by_text(f"{HOSTILE_NAME} </svg>").count() == 1
        for index, section in enumerate(page.locator("section").all()):
            section.screenshot(path=str(shots / f"section-{index}.png"))
    assert requests == [report.as_uri()]
    assert problems == []
    assert len(list(shots.glob("*.png"))) == 3


def test_charts_handle_one_snapshot_gaps_and_unknowns():
    import xml.etree.ElementTree as ET

    import matplotlib

    from report.render import _RC, audience_chart, churn_chart, relevance_chart

    def snapshot(day, followers, connections, rate):
        return {
            "snapshot_date": day, "followers": followers, "connections": connections,
            "new_followers": None, "lost_followers": None, "new_connections": None,
            "lost_connections": None, "relevance_rate": rate, "follower_relevance_rate": None,
            "recent_relevance_rate": None,
        }  # fmt: skip

    one = [snapshot(dt.date(2026, 10, 2), None, 12, 0.5)]
    several = [
        snapshot(dt.date(2026, 10, 2), 5, 10, 0.0),
        snapshot(dt.date(2026, 10, 30), None, 11, 0.25),
        snapshot(dt.date(2026, 11, 27), 7, 12, None),
    ]
    with matplotlib.rc_context(_RC):
        charts = [audience_chart(one), churn_chart(one), relevance_chart(one)]
        charts += [audience_chart(several), churn_chart(several), relevance_chart(several)]
    for chart in charts:
        ET.fromstring(chart.svg)  # well-formed, so browsers draw it
        assert "nan" not in chart.alt.lower() and chart.title
    assert "no follower list" in charts[0].svg
    assert "Followers from 5 on 2026-10-02 to 7 on 2026-11-27" in charts[3].alt
