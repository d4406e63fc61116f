-- Version 2: the follower analytics workbook, a daily series of follower totals per account.
-- Not a snapshot: a snapshot of the same account inside a workbook's window takes its
-- follower total from it when it has no follower list (DESIGN.md section 3).

CREATE TABLE raw.follower_counts (
    export_id     VARCHAR NOT NULL,
    source_file   VARCHAR NOT NULL,
    row_number    BIGINT NOT NULL,    -- the sheet row, as Excel shows it
    day           DATE NOT NULL,
    new_followers BIGINT,             -- NULL on the anchor day when the table does not list it
    followers     BIGINT NOT NULL,    -- total at the end of the day, walked back from the anchor
    anchor_date   DATE NOT NULL       -- the workbook's "Total followers on" date
);
