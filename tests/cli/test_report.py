"""`lnw report`: an offline HTML page whose charts and changes come from the published views."""

import datetime as dt
import re
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


def test_the_report_has_four_charts_per_account_and_no_outside_resources(reported):
    _, page = reported
    parsed = Page()
    parsed.feed(page)
    assert parsed.tags.count("svg") == 8
    for title in ("followers and connections", "relationship classes", "relevance rates"):
        assert f"me: {title}" in page and f"agency: {title}" in page
    assert "active vs dormant connections" in page
    assert "script" not in parsed.tags and "img" not in parsed.tags and "link" not in parsed.tags
    links = re.findall(r"""href=["']([^"']*)""", page)
    assert links and all(link.startswith("https://www.linkedin.com/in/") for link in links)
    assert "default-src 'none'" in page


def test_names_from_the_data_render_as_text(reported):
    _, page = reported
    parsed = Page()
    parsed.feed(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;/svg&gt;" in page
    assert f"{HOSTILE_NAME} </svg>" in parsed.cells
    assert HOSTILE_HEADLINE in parsed.cells


def test_the_changes_table_lists_relevant_arrivals_and_departures(reported):
    _, page = reported
    parsed = Page()
    parsed.feed(page)
    me = page[page.index("<h2>me</h2>") :]
    assert "Latest changes: relevant people, since 2026-10-30" in me
    assert "Gone Founder" in parsed.cells
    gone = parsed.cells.index("Gone Founder")
    assert parsed.cells[gone - 1] == "lost"
    assert parsed.cells[gone + 3 : gone + 5] == ["follower_only", "\u2013"]
    hostile = parsed.cells.index(f"{HOSTILE_NAME} </svg>")
    assert parsed.cells[hostile - 1] == "new"
    # Only relevant people: a marketing intern or a data analyst never shows as a change.
    assert not any("Intern" in cell for cell in parsed.cells)


def test_the_kpis_match_the_published_views(reported, capsys):
    home, page = reported
    capsys.readouterr()
    run_lnw(
        home, "sql", "--format", "csv",
        "select followers, connections from analytics.reach "
        "where account = 'me' order by snapshot_date desc limit 1",
    )  # fmt: skip
    followers, connections = capsys.readouterr().out.splitlines()[1].split(",")
    me = page[page.index("<h2>me</h2>") :]
    assert f"<b>{int(followers):,}</b> followers, <b>{int(connections):,}</b> connections" in me


def test_a_report_before_any_run_says_what_to_do(tmp_path, capsys):
    home = Home(tmp_path / "empty").ensure()
    assert run_lnw(home, "report") == 1
    assert "run `lnw run`" in capsys.readouterr().err
    assert not (home.root / "report.html").exists()


@browser_test
@needs_chromium
def test_the_report_renders_in_chromium_offline_without_errors(reported, tmp_path):
    home, _ = reported
    report = home.root / "out" / "network.html"
    with headless_page() as page:
        requests, problems = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.goto(report.as_uri(), wait_until="load")
        charts = page.locator("svg.chart")
        assert charts.count() == 8
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box and box["width"] > 300 and box["height"] > 100
        # Drawn marks, not empty frames: lines, points and bars made it into the DOM.
        assert page.locator("svg.chart polyline").count() >= 4
        assert page.locator("svg.chart rect[height]").count() > 20
        assert page.get_by_text(f"{HOSTILE_NAME} </svg>").count() == 1
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert requests == [report.as_uri()]
    assert problems == []


def test_charts_handle_one_snapshot_gaps_and_zeros():
    import xml.etree.ElementTree as ET

    from report.render import Series, line_chart, stacked_bars

    one = [dt.date(2026, 10, 2)]
    several = [dt.date(2026, 10, 2), dt.date(2026, 10, 30), dt.date(2026, 11, 27)]
    charts = [
        line_chart("one", one, [Series("followers", [None]), Series("connections", [12])]),
        line_chart("gap", several, [Series("followers", [5, None, 7])]),
        line_chart("rates", several, [Series("r", [0.0, 0.25, None])], percent=True),
        stacked_bars("empty", several, [Series("a", [0, 0, None]), Series("b", [None] * 3)]),
    ]
    for svg in charts:
        ET.fromstring(svg)  # well-formed, so browsers draw it
        assert "nan" not in svg.lower() and "inf" not in svg.lower()
    # A missing value breaks the line instead of drawing it down to zero.
    assert charts[1].count("<polyline") == 0 and charts[1].count("<circle") == 2
    assert charts[0].count("<circle") == 1
