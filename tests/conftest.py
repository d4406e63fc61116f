import datetime as dt
import shutil

import pytest

from inbox.home import Home


def run_lnw(home: Home, *args: str) -> int:
    """`lnw` in-process, with the environment it sets restored afterwards."""
    from lnw.cli import main

    with pytest.MonkeyPatch.context() as patch:
        for name in ("LNW_HOME", "DAGSTER_HOME", "LNW_ICP"):
            # Set first, so that the context restores the variable even when it was unset:
            # `lnw` sets these for its own process.
            patch.setenv(name, "")
            patch.delenv(name)
        return main([*args, "--home", str(home.root)])


SMALL_DAYS = (dt.date(2026, 10, 2), dt.date(2026, 10, 30))


def small_account(home: Home, account: str = "me", *dates: dt.date) -> list:
    """Two snapshots of one account, small enough that a run's fixed costs dominate."""
    from lnw.samples import write_account_exports

    return write_account_exports(
        home.inbox,
        account,
        list(dates or SMALL_DAYS),
        n_connections=60,
        n_followers=90,
        n_messages=40,
        seed=5,
    )


@pytest.fixture(scope="session")
def small_home(tmp_path_factory) -> tuple[Home, list]:
    """`small_account` after one `lnw run`, and its truths. Shared by every module whose
    tests only read what a run leaves (SQL, exports, the UI's metadata): each run costs
    seconds of Dagster and GX whatever the size of the inbox. A test that changes the home
    works on a copy (`copy_of_home`)."""
    home = Home(tmp_path_factory.mktemp("small") / "home").ensure()
    truths = small_account(home)
    assert run_lnw(home, "run") == 0
    return home, truths


def copy_of_home(home: Home, target) -> Home:
    shutil.copytree(home.root, target)
    return Home(target)
