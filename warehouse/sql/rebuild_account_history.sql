-- The account's whole history from its merged snapshots (gaps and islands): used when a
-- snapshot arrives out of order or is replaced. A period is a run of consecutive snapshots
-- in which the person is present with the same tracked attributes; it ends at the first
-- snapshot where they differ or the person is absent. Gives exactly what in-order merging gives.

DELETE FROM core.relationship_history WHERE account = $account;

INSERT INTO core.relationship_history
WITH snaps AS (
    SELECT
        snapshot_date,
        lead(snapshot_date) OVER (ORDER BY snapshot_date) AS next_date,
        row_number() OVER (ORDER BY snapshot_date) AS snap_no
    FROM core.snapshots
    WHERE account = $account AND merged_at IS NOT NULL
),
states AS (
    SELECT
        r.*, s.next_date, s.snap_no,
        s.snap_no - row_number() OVER (
            PARTITION BY r.person_key, r.attributes_hash ORDER BY s.snap_no
        ) AS island
    FROM core.relationship_snapshots AS r
    JOIN snaps AS s USING (snapshot_date)
    WHERE r.account = $account
),
periods AS (
    SELECT
        person_key, attributes_hash, island,
        arg_min_null(relationship, snap_no) AS relationship,
        arg_min_null(full_name, snap_no) AS full_name,
        arg_min_null(profile_url, snap_no) AS profile_url,
        arg_min_null(company, snap_no) AS company,
        arg_min_null(position, snap_no) AS position,
        arg_min_null(headline, snap_no) AS headline,
        min(snapshot_date) AS valid_from,
        arg_max_null(next_date, snap_no) AS valid_to
    FROM states
    GROUP BY person_key, attributes_hash, island
)
SELECT
    $account AS account, person_key, relationship, full_name, profile_url, company, position,
    headline, attributes_hash, valid_from, valid_to, valid_to IS NULL AS is_current
FROM periods;
