import pytest

from inbox.home import Home


def run_lnw(home: Home, *args: str) -> int:
    """`lnw` in-process, with the environment it sets restored afterwards."""
    from lnw.cli import main

    with pytest.MonkeyPatch.context() as patch:
        for name in ("LNW_HOME", "DAGSTER_HOME", "LNW_ICP"):
            patch.delenv(name, raising=False)
        return main([*args, "--home", str(home.root)])
