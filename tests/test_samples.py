"""The sample generator writes LinkedIn-shaped exports whose returned truths are exact answers.

Every expectation about a file is checked by reading the file back with the csv module, as a
parser would; every truth is recomputed from the files with the definitions of DESIGN.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from lnw.samples import (
    SnapshotTruth,
    write_account_exports,
    write_demo_inbox,
    write_sample_icp,
)

NOTES_LINE = (
    '"When exporting your connection data, you may notice that some of the email addresses '
    "are missing. You will only see email addresses for connections who have allowed their "
    "connections to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"'
)
CONNECTIONS_HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
INVITATIONS_HEADER = "From,To,Sent At,Message,Direction,inviterProfileUrl,inviteeProfileUrl"
MESSAGES_HEADER = (
    "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,RECIPIENT PROFILE URLS,DATE,"
    "SUBJECT,CONTENT,FOLDER,IS MESSAGE DRAFT,IS CONVERSATION DRAFT"
)
DATES = [dt.date(2026, 3, 6), dt.date(2026, 4, 3), dt.date(2026, 5, 1)]
SMALL = {"n_connections": 300, "n_followers": 600, "n_messages": 900}


# ---- reading the files back, independently of the generator ---------------------------------


def profile_key(url: str) -> str:
    """Canonical person key of a profile URL, per DESIGN.md section 4."""
    parts = urlsplit(url.strip())
    assert parts.netloc.lower().endswith("linkedin.com"), url
    assert parts.path.startswith("/in/"), url
    slug = parts.path[len("/in/") :].rstrip("/")
    return unicodedata.normalize("NFC", unquote(slug).lower())


def archive_file(item: Path, name: str) -> bytes:
    if item.is_dir():
        return (item / name).read_bytes()
    with zipfile.ZipFile(item) as archive:
        return archive.read(name)


def csv_rows(data: bytes, skip_lines: int = 0) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig")
    handle = io.StringIO(text, newline="")
    for _ in range(skip_lines):
        handle.readline()
    return list(csv.DictReader(handle))


def connections_rows(truth: SnapshotTruth) -> list[dict[str, str]]:
    return csv_rows(archive_file(truth.files[0], "Connections.csv"), skip_lines=3)


def invitations_rows(truth: SnapshotTruth) -> list[dict[str, str]]:
    return csv_rows(archive_file(truth.files[0], "Invitations.csv"))


def messages_rows(truth: SnapshotTruth) -> list[dict[str, str]]:
    return csv_rows(archive_file(truth.files[0], "messages.csv"))


def self_url(truth: SnapshotTruth) -> str:
    """The member's own URL, the way a parser learns it: outgoing invitations' inviter."""
    urls = {r["inviterProfileUrl"] for r in invitations_rows(truth) if r["Direction"] == "OUTGOING"}
    assert len(urls) == 1
    return urls.pop()


def message_day(row: dict[str, str]) -> dt.date:
    return dt.datetime.strptime(row["DATE"], "%Y-%m-%d %H:%M:%S UTC").date()


def in_window(day: dt.date, snapshot: dt.date) -> bool:
    return snapshot - dt.timedelta(days=90) < day <= snapshot


def counts(row: dict[str, str]) -> bool:
    sponsored = row["CONVERSATION TITLE"] == "Sponsored Conversation"
    return row["IS MESSAGE DRAFT"] != "Yes" and not sponsored and bool(row["SENDER PROFILE URL"])


def active_from_files(truth: SnapshotTruth) -> set[str]:
    me = self_url(truth)
    active: set[str] = set()
    for row in messages_rows(truth):
        if not counts(row) or not in_window(message_day(row), truth.snapshot_date):
            continue
        if row["SENDER PROFILE URL"] == me:
            active.update(profile_key(u) for u in row["RECIPIENT PROFILE URLS"].split(","))
        else:
            active.add(profile_key(row["SENDER PROFILE URL"]))
    return active & truth.connections.keys()


def follower_list_rows(truth: SnapshotTruth) -> list[dict[str, str]]:
    assert truth.followers is not None
    return csv_rows(truth.files[1].read_bytes())


def all_files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


# ---- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[SnapshotTruth]]:
    inbox = tmp_path_factory.mktemp("demo") / "inbox"
    truths = write_demo_inbox(inbox)
    return {account: [t for t in truths if t.account == account] for account in ("me", "teammate")}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> list[SnapshotTruth]:
    inbox = tmp_path_factory.mktemp("small") / "inbox"
    return write_account_exports(
        inbox, "acme", DATES, seed=11, extracted_folder_for={DATES[1]}, **SMALL
    )


@pytest.fixture(scope="module", params=["demo-me", "demo-teammate", "small"])
def snapshots(
    request: pytest.FixtureRequest,
    demo: dict[str, list[SnapshotTruth]],
    small: list[SnapshotTruth],
) -> list[SnapshotTruth]:
    return {"demo-me": demo["me"], "demo-teammate": demo["teammate"], "small": small}[request.param]


# ---- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    def write(name: str, seed: int) -> dict[str, Path]:
        write_account_exports(
            tmp_path / name, "acme", DATES, seed=seed, extracted_folder_for={DATES[1]}, **SMALL
        )
        return all_files(tmp_path / name)

    first, other = write("a", 7), write("c", 8)
    # Again in another interpreter, with another string-hash seed (set order changes with it).
    script = (
        "import datetime as dt, sys; from pathlib import Path; "
        "from lnw.samples import write_account_exports as w; "
        f"d = [dt.date.fromisoformat(x) for x in {[d.isoformat() for d in DATES]!r}]; "
        f"w(Path(sys.argv[1]), 'acme', d, seed=7, extracted_folder_for={{d[1]}}, **{SMALL!r})"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "b")], check=True, env=env)
    again = all_files(tmp_path / "b")

    assert len(first) == 3 * 2 + 4 - 1  # two zips, one folder of four files, three lists
    assert first.keys() == again.keys() == other.keys()
    for name, path in first.items():
        assert path.read_bytes() == again[name].read_bytes(), name
        assert path.stat().st_mtime == again[name].stat().st_mtime, name
    differing = [name for name in first if first[name].read_bytes() != other[name].read_bytes()]
    assert len(differing) == len(first)


# ---- Connections.csv ------------------------------------------------------------------------


def test_connections_csv_has_the_notes_preamble_and_no_final_newline(
    snapshots: list[SnapshotTruth],
) -> None:
    for truth in snapshots:
        data = archive_file(truth.files[0], "Connections.csv")
        lines = data.decode("utf-8").split("\n")
        assert lines[:4] == ["Notes:", NOTES_LINE, "", CONNECTIONS_HEADER]
        assert not data.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in data
        assert not data.endswith(b"\n")
        assert re.fullmatch(r".*,\d{2} [A-Z][a-z]{2} \d{4}", lines[-1])


def test_connections_csv_percent_encodes_unicode_slugs_in_uppercase_hex(
    demo: dict[str, list[SnapshotTruth]],
) -> None:
    for truth in demo["me"]:
        urls = [row["URL"] for row in connections_rows(truth) if row["URL"]]
        assert any("%C3%" in url for url in urls)
        assert all(url.isascii() for url in urls)
        assert not any(re.search(r"%[0-9A-F]?[a-f]", url) for url in urls)
        assert all(url.startswith("https://www.linkedin.com/in/") for url in urls)
        assert any(url.endswith("-") for url in urls)  # trailing hyphens are kept


def test_blank_person_rows_are_the_unidentified_connections(
    snapshots: list[SnapshotTruth],
) -> None:
    for truth in snapshots:
        data = archive_file(truth.files[0], "Connections.csv").decode("utf-8")
        blank = re.findall(r"^,,,,,,\d{2} [A-Z][a-z]{2} \d{4}$", data, flags=re.MULTILINE)
        assert len(blank) == truth.unidentified_connections > 0


def test_connections_csv_lists_exactly_the_identified_connections_newest_first(
    snapshots: list[SnapshotTruth],
) -> None:
    for truth in snapshots:
        rows = connections_rows(truth)
        named = {profile_key(r["URL"]): r for r in rows if r["URL"]}
        assert len(named) == len(rows) - truth.unidentified_connections
        days = [dt.datetime.strptime(r["Connected On"], "%d %b %Y").date() for r in rows]
        named_days = {
            profile_key(r["URL"]): day for r, day in zip(rows, days, strict=True) if r["URL"]
        }
        assert named_days == truth.connections
        assert days == sorted(days, reverse=True)
        for key, row in named.items():
            person = truth.people[key]
            assert person.company == (row["Company"] or None)
            assert person.position == (row["Position"] or None)
            assert person.full_name == f"{row['First Name'].strip()} {row['Last Name'].strip()}"


def test_connections_csv_has_quirky_names_companies_and_some_emails(
    demo: dict[str, list[SnapshotTruth]],
) -> None:
    rows = connections_rows(demo["me"][-1])
    named = [r for r in rows if r["URL"]]
    assert any(r["Last Name"] == "Kreuzer, PhD" for r in named)
    assert any(r["First Name"].endswith(" ") for r in named)
    assert any(re.search(r"[\u0400-\u04ff]", r["First Name"]) for r in named)
    assert any("🎗" in r["Last Name"] for r in named)
    assert any("," in r["Company"] for r in named)
    assert any("," in r["Position"] for r in named)
    emails = [r["Email Address"] for r in named if r["Email Address"]]
    assert 0.02 < len(emails) / len(named) < 0.07
    assert all(re.fullmatch(r"[^@\s]+@example\.(com|org|net)", e) for e in emails)


# ---- Invitations.csv ------------------------------------------------------------------------


def test_invitations_csv_format(snapshots: list[SnapshotTruth]) -> None:
    for truth in snapshots:
        data = archive_file(truth.files[0], "Invitations.csv")
        assert data.decode("utf-8").split("\n", 1)[0] == INVITATIONS_HEADER
        assert data.endswith(b"\n") and b"\r" not in data
        rows = invitations_rows(truth)
        directions = [r["Direction"] for r in rows]
        assert directions == sorted(directions, key=lambda d: d != "OUTGOING")
        assert {"OUTGOING", "INCOMING"} <= set(directions)
        assert any(r["Message"] for r in rows)
        for row in rows:
            assert re.fullmatch(r"[1-9]\d?/[1-9]\d?/\d{2}, [1-9]\d?:\d{2} [AP]M", row["Sent At"])
            sent = dt.datetime.strptime(row["Sent At"], "%m/%d/%y, %I:%M %p").date()
            assert truth.snapshot_date - dt.timedelta(days=305) < sent <= truth.snapshot_date
            assert "%" not in row["inviterProfileUrl"] + row["inviteeProfileUrl"]
        assert profile_key(self_url(truth)) == truth.self_key


def test_pending_invitations_match_the_files(snapshots: list[SnapshotTruth]) -> None:
    for truth in snapshots:
        outbound, inbound = set(), set()
        for row in invitations_rows(truth):
            if row["Direction"] == "OUTGOING":
                outbound.add(profile_key(row["inviteeProfileUrl"]))
            else:
                inbound.add(profile_key(row["inviterProfileUrl"]))
        assert truth.pending_outbound == outbound - truth.connections.keys()
        assert truth.pending_inbound == inbound - truth.connections.keys()
        assert truth.pending_outbound and truth.pending_inbound
        # Accepted invitations are in the file too.
        assert outbound & truth.connections.keys()


# ---- messages.csv ---------------------------------------------------------------------------


def test_messages_csv_has_the_quirks_a_parser_must_survive(
    snapshots: list[SnapshotTruth],
) -> None:
    for truth in snapshots:
        data = archive_file(truth.files[0], "messages.csv")
        assert data.decode("utf-8").split("\n", 1)[0] == MESSAGES_HEADER
        assert data.endswith(b"\n") and b"\r" not in data
        rows = messages_rows(truth)
        me = self_url(truth)
        assert any("\n" in r["CONTENT"] for r in rows)
        sponsored = [r for r in rows if r["CONVERSATION TITLE"] == "Sponsored Conversation"]
        assert sponsored
        assert all(
            r["FROM"] == "LinkedIn Member" and not r["SENDER PROFILE URL"] for r in sponsored
        )
        assert any(r["CONTENT"].startswith("<p class=") for r in sponsored)
        for row in rows:
            assert message_day(row) <= truth.snapshot_date
            assert "%" not in row["SENDER PROFILE URL"] + row["RECIPIENT PROFILE URLS"]
        # A group message from someone else lists the member among several recipients, and
        # its TO names contain commas of their own.
        group = [
            r
            for r in rows
            if r["SENDER PROFILE URL"] not in ("", me) and r["RECIPIENT PROFILE URLS"].count(",")
        ]
        assert any(me in r["RECIPIENT PROFILE URLS"].split(",") for r in group)
        assert any(r["TO"].count(",") > r["RECIPIENT PROFILE URLS"].count(",") for r in group)
        # Messages with people who are not connections exist too.
        others = {profile_key(r["SENDER PROFILE URL"]) for r in rows if counts(r)}
        assert others - truth.connections.keys() - {truth.self_key}


def test_drafts_do_not_make_a_connection_active(snapshots: list[SnapshotTruth]) -> None:
    for truth in snapshots:
        rows = messages_rows(truth)
        me = self_url(truth)
        drafts = [r for r in rows if r["IS MESSAGE DRAFT"] == "Yes"]
        assert drafts and all(r["SENDER PROFILE URL"] == me for r in drafts)
        draft_only = [
            profile_key(r["RECIPIENT PROFILE URLS"])
            for r in drafts
            if r["IS CONVERSATION DRAFT"] == "Yes"
            and in_window(message_day(r), truth.snapshot_date)
        ]
        assert draft_only
        for key in draft_only:
            assert key in truth.connections
            assert key not in truth.active_90d


def test_active_conversations_match_a_recomputation_from_the_files(
    snapshots: list[SnapshotTruth],
) -> None:
    for truth in snapshots:
        assert truth.active_90d == active_from_files(truth)
        assert 0 < len(truth.active_90d) < len(truth.connections)


def test_group_bystanders_are_not_active(snapshots: list[SnapshotTruth]) -> None:
    for truth in snapshots:
        me = self_url(truth)
        received = set()
        for row in messages_rows(truth):
            recent = counts(row) and in_window(message_day(row), truth.snapshot_date)
            if recent and row["SENDER PROFILE URL"] != me:
                received.update(map(profile_key, row["RECIPIENT PROFILE URLS"].split(",")))
        bystanders = (received & truth.connections.keys()) - truth.active_90d
        assert bystanders, "the rule about group bystanders is not exercised"


def test_no_message_falls_on_a_window_boundary_day(snapshots: list[SnapshotTruth]) -> None:
    boundaries = set()
    for truth in snapshots:
        boundaries |= {truth.snapshot_date, truth.snapshot_date - dt.timedelta(days=90)}
    rows = messages_rows(snapshots[-1])
    assert not {message_day(r) for r in rows if counts(r)} & boundaries


# ---- follower lists -------------------------------------------------------------------------


def test_follower_list_urls_normalise_to_the_truth(snapshots: list[SnapshotTruth]) -> None:
    for truth in snapshots:
        assert truth.followers is not None
        rows = follower_list_rows(truth)
        url_column = "profileUrl" if "profileUrl" in rows[0] else "Profile URL"
        keys = [profile_key(r[url_column]) for r in rows]
        assert set(keys) == truth.followers
        assert len(keys) == len(truth.followers) + 1  # one person listed twice
        (twice,) = [k for k, n in Counter(keys).items() if n == 2]
        assert len({r[url_column] for r in rows if profile_key(r[url_column]) == twice}) == 2


def test_follower_list_mixes_third_party_url_forms(demo: dict[str, list[SnapshotTruth]]) -> None:
    urls = [r["profileUrl"] for r in follower_list_rows(demo["me"][-1])]
    assert any(u.startswith("https://www.linkedin.com/in/") and "/" not in u[28:] for u in urls)
    assert any(u.endswith("/") for u in urls)
    assert any(u.startswith("http://linkedin.com/in/") for u in urls)
    assert any(re.match(r"https://[a-z]{2}\.linkedin\.com/in/", u) for u in urls)
    assert any(u.endswith("?trk=public_profile") for u in urls)
    assert any(re.search(r"/in/[^/?]*[A-Z]", u) and "%" not in u for u in urls)
    assert any(not u.isascii() for u in urls) and any("%C3%" in u for u in urls)


def test_follower_list_styles(demo: dict[str, list[SnapshotTruth]]) -> None:
    phantom = demo["me"][0].files[1].read_bytes()
    assert phantom.startswith(b"profileUrl,firstName,lastName,occupation,followedAt\n")
    simple = demo["teammate"][0].files[1].read_bytes()
    assert simple.startswith(b"\xef\xbb\xbfProfile URL,Full Name,Headline\r\n")
    for truth in demo["me"]:
        for row in follower_list_rows(truth):
            followed = dt.datetime.strptime(row["followedAt"], "%Y-%m-%dT%H:%M:%S.000Z")
            assert followed.date() <= truth.snapshot_date


def test_follower_list_can_be_left_out(tmp_path: Path) -> None:
    truths = write_account_exports(
        tmp_path, "acme", DATES, seed=3, follower_list_for={DATES[2]}, **SMALL
    )
    assert [t.followers is None for t in truths] == [True, True, False]
    assert [len(t.files) for t in truths] == [1, 1, 2]
    assert sorted(p.name for p in (tmp_path / "acme").glob("followers_*")) == [
        "followers_2026-05-01.csv"
    ]
    assert all(p.headline is None for p in truths[0].people.values())


# ---- the truths -----------------------------------------------------------------------------


def test_truths_are_internally_consistent(snapshots: list[SnapshotTruth]) -> None:
    for truth in snapshots:
        connections = truth.connections.keys()
        followers = truth.followers or set()
        assert not truth.pending_outbound & connections
        assert not truth.pending_inbound & connections
        assert truth.active_90d <= connections
        assert truth.self_key not in truth.people
        assert connections | followers | truth.pending_outbound | truth.pending_inbound == set(
            truth.people
        )
        for key, person in truth.people.items():
            assert person.key == key == unicodedata.normalize("NFC", key.lower())
            assert person.full_name == person.full_name.strip()
            if key not in connections:
                assert person.company is None and person.position is None
            if key not in followers:
                assert person.headline is None
        assert all(day <= truth.snapshot_date for day in truth.connections.values())
        mutual = len(connections & followers) / len(connections)
        assert 0.7 < mutual < 0.95


def test_sizes_are_near_the_requested_sizes(
    demo: dict[str, list[SnapshotTruth]], small: list[SnapshotTruth]
) -> None:
    for truths, n_connections, n_followers in (
        (demo["me"], 2_000, 5_000),
        (demo["teammate"], 400, 700),
        (small, SMALL["n_connections"], SMALL["n_followers"]),
    ):
        for truth in truths:
            assert truth.followers is not None
            assert abs(len(truth.connections) / n_connections - 1) < 0.1
            assert abs(len(truth.followers) / n_followers - 1) < 0.1
        assert len(truths[0].connections) == n_connections
    last = demo["me"][-1]
    assert abs(len(messages_rows(last)) / 3_000 - 1) < 0.05


def test_the_network_evolves_between_snapshots(demo: dict[str, list[SnapshotTruth]]) -> None:
    for before, after in zip(demo["me"], demo["me"][1:], strict=False):
        removed = before.connections.keys() - after.connections.keys()
        added = after.connections.keys() - before.connections.keys()
        assert removed and added
        assert all(
            before.snapshot_date < after.connections[k] <= after.snapshot_date for k in added
        )
        assert added & before.pending_outbound  # earlier invitees who accepted
        assert after.unidentified_connections >= before.unidentified_connections
        assert before.followers is not None and after.followers is not None
        assert before.followers - after.followers and after.followers - before.followers
        unfollowed = (before.followers & after.connections.keys()) - after.followers
        assert unfollowed  # still connected, no longer following
        moved = [
            k
            for k in before.connections.keys() & after.connections.keys()
            if before.people[k].position != after.people[k].position
            or before.people[k].company != after.people[k].company
        ]
        assert moved


def test_demo_has_a_unicode_connection_encoded_only_in_connections_csv(
    demo: dict[str, list[SnapshotTruth]],
) -> None:
    truth = demo["me"][-1]
    keys = [k for k in truth.connections if k.startswith("françois-dupont-")]
    raw = [f"https://www.linkedin.com/in/{k}" for k in keys]
    messages = archive_file(truth.files[0], "messages.csv").decode()
    invitations = archive_file(truth.files[0], "Invitations.csv").decode()
    followers = truth.files[1].read_bytes().decode()
    connections = archive_file(truth.files[0], "Connections.csv").decode()
    featured = [u for u in raw if u in messages and u in invitations and u in followers]
    assert featured
    encoded = featured[0].replace("ç", "%C3%A7")
    assert featured[0] not in connections and f",{encoded}," in connections


def test_demo_inbox_layout(demo: dict[str, list[SnapshotTruth]], tmp_path: Path) -> None:
    me, teammate = demo["me"], demo["teammate"]
    assert [t.snapshot_date for t in me] == [
        dt.date(2026, 9, 25),
        dt.date(2026, 10, 23),
        dt.date(2026, 11, 20),
    ]
    assert [t.files[0].name for t in me] == [
        "Basic_LinkedInDataExport_09-25-2026.zip",
        "Complete_LinkedInDataExport_10-23-2026",
        "Basic_LinkedInDataExport_11-20-2026.zip",
    ]
    assert me[1].files[0].is_dir()
    assert sorted(p.name for p in me[1].files[0].iterdir()) == [
        "Connections.csv",
        "Invitations.csv",
        "Profile.csv",
        "messages.csv",
    ]
    for truth in me + teammate:
        assert truth.files[0].parent.name == truth.account
        assert truth.files[1].name == f"followers_{truth.snapshot_date.isoformat()}.csv"
        noon = dt.datetime.combine(truth.snapshot_date, dt.time(12), tzinfo=dt.UTC).timestamp()
        assert all(p.stat().st_mtime == noon for p in truth.files)
        if truth.files[0].suffix == ".zip":
            with zipfile.ZipFile(truth.files[0]) as archive:
                names = [i.filename for i in archive.infolist()]
                stamps = {i.date_time for i in archive.infolist()}
            assert names == ["Connections.csv", "Invitations.csv", "messages.csv", "Profile.csv"]
            assert stamps == {(*truth.snapshot_date.timetuple()[:3], 12, 0, 0)}


def test_sample_icp_selects_a_fair_share_of_the_demo_network(
    demo: dict[str, list[SnapshotTruth]], tmp_path: Path
) -> None:
    path = tmp_path / "conf" / "icp.yaml"
    write_sample_icp(path)
    icp = yaml.safe_load(path.read_text())
    assert {"include_titles", "exclude_titles", "threshold"} <= icp.keys()

    def matches(words: list[str], text: str) -> list[str]:
        return [w for w in words if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]

    def relevant(text: str | None, company: str | None) -> bool:
        if not text or matches(icp["exclude_titles"], text):
            return False
        weights = icp.get("weights", {})
        score = max((weights.get(w, 1.0) for w in matches(icp["include_titles"], text)), default=0)
        if company and company.lower() in {c.lower() for c in icp.get("include_companies", [])}:
            score = 1.0
        return min(score, 1.0) >= icp["threshold"]

    people = demo["me"][-1].people
    connections = [people[k] for k in demo["me"][-1].connections]
    share = sum(relevant(p.position, p.company) for p in connections) / len(connections)
    assert 0.2 <= share <= 0.35
    followers = [p for p in people.values() if p.headline is not None]
    share = sum(relevant(p.headline, None) for p in followers) / len(followers)
    assert 0.15 <= share <= 0.35


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="distinct"):
        write_account_exports(tmp_path, "a", [DATES[0], DATES[0]], seed=1, **SMALL)
    with pytest.raises(ValueError, match="follower_list_style"):
        write_account_exports(tmp_path, "a", DATES, seed=1, follower_list_style="xlsx", **SMALL)
