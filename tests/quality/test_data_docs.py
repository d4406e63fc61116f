"""Data Docs render offline: every validation listed, every page whole, nothing fetched."""

import shutil
import stat
from pathlib import Path

import pytest

from quality.data_docs import DATA_DOCS_SITE, VALIDATION_RESULTS, build_site, keep_result
from quality.suites import SnapshotRows, core_snapshot_batch
from quality.validation import validate_batch
from tests.quality.test_suites import URL, core, followers, one_file
from tests.ui.chromium import browser_test, headless_page, needs_chromium


def validate_two(root) -> tuple:
    """A failing raw suite and a passing core suite, kept under the home ``root`` as a load
    keeps them; the site is built."""
    results, site = root / VALIDATION_RESULTS, root / DATA_DOCS_SITE
    failed, passed = (
        keep_result(
            validate_batch(batch, run_name="me load"),
            results,
            Path("me", f"20261120T100000000000Z-run1-{suite}.json"),
            site,
        )
        for suite, batch in (
            ("raw_followers", one_file("followers", followers([f"{URL}ann", "not a url"]))),
            (
                "core_relationship_snapshots",
                core_snapshot_batch([SnapshotRows("2026-11-20", core(["ann"], ["mutual"]), True)]),
            ),
        )
    )
    build_site(results, site)
    return failed, passed


def test_a_kept_result_is_one_whole_owner_only_file_and_names_its_page(tmp_path):
    failed, _ = validate_two(tmp_path)
    folder = tmp_path / VALIDATION_RESULTS / "me"
    kept = sorted(p.name for p in folder.iterdir())
    # No temporary file left behind: a site build never lists half a result.
    assert kept == [
        "20261120T100000000000Z-run1-core_relationship_snapshots.json",
        "20261120T100000000000Z-run1-raw_followers.json",
    ]
    assert stat.S_IMODE((folder / kept[1]).stat().st_mode) == 0o600
    assert failed.data_docs == (
        tmp_path / DATA_DOCS_SITE / "validations/me/20261120T100000000000Z-run1-raw_followers.html"
    )
    assert failed.data_docs_index == tmp_path / DATA_DOCS_SITE / "index.html"


def test_the_site_lists_every_result_and_each_page_shows_its_expectations(tmp_path):
    failed, passed = validate_two(tmp_path)
    index = failed.data_docs_index.read_text()
    assert index.count('<tr class="validation">') == 2
    assert "raw_followers" in index and "core_relationship_snapshots" in index
    page = failed.data_docs.read_text()
    assert "profile URLs parse to a linkedin.com/in/ slug" in page and "not a url" in page
    assert passed.data_docs.exists()
    for html in (tmp_path / DATA_DOCS_SITE).rglob("*.html"):
        text = html.read_text()
        assert "http://" not in text and "https://" not in text, html
        assert "<script" not in text and "default-src 'none'" in text, html


def test_the_site_builds_from_any_folder_of_result_files(tmp_path):
    """Result files with any names, in any folder, make the same site."""
    validate_two(tmp_path / "gx-home")
    folder = tmp_path / "results"
    folder.mkdir()
    stored = sorted((tmp_path / "gx-home" / VALIDATION_RESULTS).rglob("*.json"))
    for number, path in enumerate(stored):
        shutil.copy(path, folder / f"result-{number}.json")
    (folder / "notes.json").write_text('{"not": "a validation result"}')
    index = build_site(folder, tmp_path / "site")
    text = index.read_text()
    assert text.count('<tr class="validation">') == 2
    assert (tmp_path / "site" / "validations" / "result-0.html").exists()


def test_lnw_docs_builds_the_site_and_says_where_it_is(tmp_path, capsys):
    from inbox.home import Home
    from tests.conftest import run_lnw

    home = Home(tmp_path / "home").ensure()
    assert run_lnw(home, "docs", "--no-open") == 1
    assert "no validation results" in capsys.readouterr().err
    validate_two(home.root)
    shutil.rmtree(home.root / DATA_DOCS_SITE)  # results kept, site not built yet
    assert run_lnw(home, "docs", "--no-open") == 0
    index = home.root / DATA_DOCS_SITE / "index.html"
    assert capsys.readouterr().out == f"Data Docs: {index}\n"
    assert index.read_text().count('<tr class="validation">') == 2


@browser_test
@needs_chromium
@pytest.mark.slow
def test_data_docs_open_offline_in_chromium_with_no_request_leaving_the_machine(tmp_path):
    failed, _ = validate_two(tmp_path)
    outside: list[str] = []
    with headless_page() as page:
        # The network is blocked: anything but the site's own files is recorded and refused.
        def block(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.context.route("**/*", block)
        page.goto(failed.data_docs_index.as_uri())
        rows = page.locator("tr.validation")
        assert rows.count() == 2
        texts = rows.all_inner_texts()
        assert any("raw_followers" in t and "failed" in t for t in texts)
        assert any("core_relationship_snapshots" in t and "passed" in t for t in texts)
        page.screenshot(path=str(tmp_path / "data-docs-index.png"))
        page.get_by_role("row").filter(has_text="raw_followers").get_by_role("link").click()
        page.locator("tr.expectation").first.wait_for()
        assert "not a url" in page.inner_text("#expectations")
        page.screenshot(path=str(tmp_path / "data-docs-result.png"), full_page=True)
        print(f"screenshots in {tmp_path}")
    assert outside == []
