-- Version 3: a log of history merges. One row per merge that changed the history: which
-- snapshot, how (incremental, or a rebuild of the periods from `rebuilt_from` on), and how many
-- history rows it closed, removed and inserted. It shows that a late snapshot rewrote only
-- the affected periods, and lets the history asset report what its snapshot's load did.

CREATE TABLE IF NOT EXISTS core.history_merges (
    account       VARCHAR NOT NULL,
    snapshot_date DATE NOT NULL,
    strategy      VARCHAR NOT NULL,   -- incremental | rebuilt
    rebuilt_from  DATE,               -- rebuilt: the merged snapshot before the late one
    rows_removed  BIGINT NOT NULL,    -- closed (incremental) or deleted (rebuilt) rows
    rows_inserted BIGINT NOT NULL,
    history_rows  BIGINT NOT NULL,    -- the account's history rows afterwards
    merged_at     TIMESTAMPTZ NOT NULL
);
