"""`lnw forget PROFILE_URL`: erase one person from the home (warehouse, readers' copy,
archive, kept validation results and Data Docs), then build what depended on them again."""

from __future__ import annotations

import sys

from inbox.home import Home
from lnw.run import EXIT_FAILED, EXIT_OK, _prepare_environment, progress, run_backfill


def run_forget(home: Home, url: str) -> int:
    from inbox.archive import forget_in_archive
    from quality.data_docs import DATA_DOCS_SITE, VALIDATION_RESULTS, build_site
    from quality.forget import forget_in_results
    from warehouse.database import transaction
    from warehouse.forget import forget_person, person_key, rewrite_file
    from warehouse.lock import open_warehouse, warehouse_lock

    key = person_key(url)
    if key is None:
        print(
            f"lnw forget: PROFILE_URL={url!r} is not valid: expected a LinkedIn profile URL "
            "(linkedin.com/in/<name>, in any form the inbox accepts). Copy it from the "
            "person's profile page or from `lnw sql`.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    _prepare_environment(home, None)
    progress(f"lnw: forgetting {key} in {home.root}")
    with open_warehouse(home.warehouse) as con, transaction(con):
        done = forget_person(con, key)
    for table, rows in sorted(done.rows.items()):
        if rows:
            print(f"removed      {rows} row(s) of {table}")
    kept_rows = forget_in_archive(home.archive, key, done.names)
    print(f"removed      {kept_rows} row(s) of the kept copies in {home.archive}")
    needles = [f"/in/{key}", key] if len(key) >= 4 else [f"/in/{key}"]
    results = forget_in_results(home.root / VALIDATION_RESULTS, needles)
    print(f"removed      them from {results} kept validation result(s)")
    code = EXIT_OK
    for account in sorted(done.accounts):
        progress(f"lnw: rebuilding account {account} without them")
        code = max(code, run_backfill(home, account))
    # Pages already built are not rendered again by a refresh: every one is, now.
    if (home.root / VALIDATION_RESULTS).exists():
        build_site(home.root / VALIDATION_RESULTS, home.root / DATA_DOCS_SITE, rebuild=True)
    with warehouse_lock(home.warehouse):
        rewrite_file(home.warehouse)
    if not done.found and not kept_rows:
        print(f"lnw forget: nothing of {key} was stored in {home.root}")
    return code
