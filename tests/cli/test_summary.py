"""The summary counts what really happened, and names from the inbox cannot forge lines."""

import zipfile

from inbox.home import Home
from tests.conftest import run_lnw


def summary(err: str) -> dict[str, str]:
    rows = {}
    for line in err.splitlines():
        if line.startswith("lnw:   "):
            name, _, value = line.removeprefix("lnw:   ").rpartition("  ")
            rows[name.strip()] = value.strip()
    return rows


def test_a_quarantined_or_unused_item_is_never_counted_as_loaded(tmp_path, capsys):
    home = Home(tmp_path / "home").ensure()
    (home.inbox / "broken_2026-02-01.zip").write_text("not a zip")
    with zipfile.ZipFile(home.inbox / "Basic_LinkedInDataExport_02-01-2026.zip", "w") as bundle:
        bundle.writestr("Profile.csv", "First Name,Last Name\nAna,Pereira\n")
    assert run_lnw(home, "run") == 2
    captured = capsys.readouterr()
    rows = summary(captured.err)
    assert rows["items loaded"] == "0"
    assert rows["items quarantined"] == "1"
    assert rows["items holding nothing used"] == "1"
    assert rows["snapshots written"] == "0"
    assert "unused       me/Basic_LinkedInDataExport_02-01-2026.zip" in captured.out


def test_a_newline_in_a_file_name_is_shown_escaped_and_forges_no_line(tmp_path, capsys):
    home = Home(tmp_path / "home").ensure()
    name = "evil\nquarantined  me:real.zip: fake_2026-02-01.zip"
    (home.inbox / name).write_text("not a zip")
    assert run_lnw(home, "run") == 2
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith("quarantined")]) == 1
    assert "me/evil\\nquarantined  me:real.zip: fake_2026-02-01.zip: " in out
    reasons = list((home.quarantine / "me").glob("*.reason.txt"))
    assert len(reasons) == 1
    assert reasons[0].read_text().startswith("evil\\nquarantined")
