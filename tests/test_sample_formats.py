"""The sample generator: its default output is pinned (other tests rely on its truths), and
format years change the format, never the people."""

import datetime as dt
import hashlib
import zipfile

import pytest

from lnw.samples import FORMAT_YEARS, write_account_exports

DATES = [dt.date(2026, 10, 2), dt.date(2026, 10, 30)]
SMALL = {"n_connections": 30, "n_followers": 40, "n_messages": 20, "seed": 7}
# The digest of the default output, from before format years existed: adding an option must
# not change a byte of what every other test reads.
DEFAULT_DIGEST = "6a08037b2fa55508b7757e7a6829b7a6cf944f501038ad8fd44781dba25e9890"


def digest(folder) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def test_the_default_output_is_byte_identical_to_the_pinned_one(tmp_path):
    write_account_exports(tmp_path, "me", DATES, extracted_folder_for={DATES[1]}, **SMALL)
    assert digest(tmp_path) == DEFAULT_DIGEST


@pytest.mark.parametrize("year", FORMAT_YEARS)
def test_a_format_year_keeps_the_truths(tmp_path, year):
    default = write_account_exports(tmp_path / "a", "me", DATES, **SMALL)
    dated = write_account_exports(tmp_path / "b", "me", DATES, format_year=year, **SMALL)
    for before, after in zip(default, dated, strict=True):
        assert after.connections == before.connections
        assert after.pending_outbound == before.pending_outbound
        assert after.active_90d == before.active_90d
        with zipfile.ZipFile(after.files[0]) as bundle:
            names = {n.lower() for n in bundle.namelist()}
        assert {"connections.csv", "invitations.csv", "messages.csv"} <= names


def test_an_unknown_format_year_is_refused(tmp_path):
    with pytest.raises(ValueError, match="format_year"):
        write_account_exports(tmp_path, "me", DATES, format_year=2017, **SMALL)
