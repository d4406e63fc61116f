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
