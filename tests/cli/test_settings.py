"""Mistakes are sentences: every bad setting is one or two lines naming the setting, the
value, what is expected and the fix, exit 1, no traceback, and nothing loaded."""

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

import settings
from inbox.home import Home
from lnw.cli import main
from lnw.samples import write_account_exports
from tests.conftest import run_lnw

ROOT = Path(__file__).resolve().parents[2]
DAY = dt.date(2026, 10, 2)

BAD_ENVIRONMENT = [
    ("LNW_SENSOR_INTERVAL", "abc", "whole number of seconds"),
    ("LNW_SENSOR_INTERVAL", "0", "1 or more"),
    ("LNW_REFRESH_CRON", "every monday", "cron string of five fields"),
    ("LNW_MAX_LOSS", "abc", "share above 0 and at most 1"),
    ("LNW_MAX_LOSS", "150%", "share above 0 and at most 1"),
    ("LNW_WEEKLY_INVITATIONS", "-5", "whole number of invitations, 1 or more"),
    ("LNW_STALE_INVITATION_DAYS", "soon", "whole number of days, 1 or more"),
    ("LNW_CARRY_DAYS", "a month", "whole number of days"),
    ("LNW_MAX_FILE_MB", "big", "size in megabytes"),
    ("LNW_ACCEPT_PARTIAL", "bogus", "ACCOUNT:YYYY-MM-DD"),
    ("LNW_EXECUTOR", "threads", "one of multiprocess, celery, k8s"),
]


@pytest.fixture
def home(tmp_path):
    home = Home(tmp_path / "home").ensure()
    write_account_exports(
        home.inbox, "me", [DAY], n_connections=20, n_followers=30, n_messages=10, seed=3
    )
    return home


def assert_one_sentence(err: str, *phrases: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, err
    assert "Traceback" not in err
    for phrase in phrases:
        assert phrase in err, err


def assert_nothing_loaded(home: Home) -> None:
    assert not home.warehouse.exists()
    assert not any(home.archive.iterdir())
    assert not (home.dagster / "history").exists()


@pytest.mark.parametrize(("name", "value", "expected"), BAD_ENVIRONMENT)
def test_a_bad_environment_variable_is_one_sentence_before_any_work(
    home, monkeypatch, capsys, name, value, expected
):
    monkeypatch.setenv(name, value)
    assert run_lnw(home, "run") == 1
    err = capsys.readouterr().err
    assert_one_sentence(err, f"{name}={value!r}", expected, name)
    assert_nothing_loaded(home)


def test_a_missing_lnw_icp_file_is_one_sentence(home, monkeypatch, capsys):
    # Not through run_lnw, which clears LNW_ICP.
    monkeypatch.setenv("LNW_ICP", "/nowhere/icp.yaml")
    assert main(["run", "--home", str(home.root)]) == 1
    assert_one_sentence(
        capsys.readouterr().err, "LNW_ICP='/nowhere/icp.yaml'", "cannot be read", "--icp"
    )
    assert_nothing_loaded(home)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("include_title: [engineer]\n", "unknown keys ['include_title']"),
        ("include_titles: [engineer\n", "not valid YAML at line"),
        ("include_titles: [engineer]\nthreshold: 2\n", "threshold must be a number in (0, 1]"),
        ("- engineer\n", "YAML mapping"),
    ],
)
def test_a_bad_icp_file_is_one_sentence_before_any_work(home, capsys, text, expected):
    icp = home.root / "mine.yaml"
    icp.write_text(text)
    assert run_lnw(home, "run", "--icp", str(icp)) == 1
    assert_one_sentence(capsys.readouterr().err, "--icp=", str(icp), expected, "Fix the file")
    assert_nothing_loaded(home)


def test_the_home_icp_file_is_checked_too(home, capsys):
    home.icp.write_text("weights: {engineer: 3}\n")
    assert run_lnw(home, "run") == 1
    assert_one_sentence(capsys.readouterr().err, "ICP file=", "weights must map")
    assert_nothing_loaded(home)


@pytest.mark.parametrize("key", ["bogus", "me:2026-13-01", "me 2026-11-20", "../x:2026-11-20"])
def test_a_bad_accept_partial_key_is_one_sentence(home, capsys, key):
    assert run_lnw(home, "run", "--accept-partial", key) == 1
    err = capsys.readouterr().err
    assert_one_sentence(err, "--accept-partial=", "ACCOUNT:YYYY-MM-DD", "me:2026-11-20")
    assert_nothing_loaded(home)


def test_a_missing_home_is_named_and_not_created(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LNW_HOME", raising=False)
    missing = tmp_path / "hoem"
    for command in (["run"], ["sql", "select 1"], ["report"], ["backfill", "me"]):
        assert main([*command, "--home", str(missing)]) == 1
        assert_one_sentence(
            capsys.readouterr().err, f"--home='{missing}'", "does not exist", "lnw init"
        )
        assert not missing.exists()
    monkeypatch.setenv("LNW_HOME", str(missing))
    assert main(["run"]) == 1
    assert_one_sentence(capsys.readouterr().err, "LNW_HOME=", "does not exist")
    assert not missing.exists()


def test_lnw_init_makes_a_home_that_lnw_run_then_accepts(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LNW_HOME", raising=False)
    root = tmp_path / "new-home"
    assert main(["init", str(root)]) == 0
    out = capsys.readouterr().out
    assert str(root / "inbox") in out
    assert (root / "inbox").is_dir()
    assert main(["run", "--home", str(root)]) == 0
    err = capsys.readouterr().err
    assert f"the inbox {root / 'inbox'} is empty: put LinkedIn archives" in err


def test_an_existing_folder_without_an_inbox_is_a_home(tmp_path, capsys):
    root = tmp_path / "plain"
    root.mkdir()
    assert run_lnw(Home(root), "run") == 0
    assert "is empty: put LinkedIn archives" in capsys.readouterr().err


def test_the_defaults_are_the_transforms_defaults():
    from transforms.metrics import DEFAULT_WEEKLY_INVITATIONS
    from transforms.timeline import DEFAULT_CARRY_DAYS

    assert settings.DEFAULT_CARRY_DAYS == DEFAULT_CARRY_DAYS
    assert settings.DEFAULT_WEEKLY_INVITATIONS == DEFAULT_WEEKLY_INVITATIONS
    assert settings.check_environment({}) is None


def _validate(tmp_path, command, **env):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path), **env},
    )


@pytest.mark.parametrize(
    ("name", "value"), [("LNW_SENSOR_INTERVAL", "abc"), ("LNW_REFRESH_CRON", "* * *")]
)
def test_dagster_definitions_validate_says_the_sentence_without_a_traceback(tmp_path, name, value):
    dagster = str(Path(sys.executable).parent / "dagster")
    result = _validate(
        tmp_path,
        [dagster, "definitions", "validate", "-m", "pipelines.definitions"],
        **{name: value},
    )
    assert result.returncode == 1
    assert f"lnw: {name}={value!r} is not valid" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_dg_check_defs_says_the_sentence_without_a_traceback(tmp_path):
    result = _validate(
        tmp_path, [str(Path(sys.executable).parent / "dg"), "check", "defs"], LNW_MAX_LOSS="lots"
    )
    assert result.returncode != 0
    assert "lnw: LNW_MAX_LOSS='lots' is not valid" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
