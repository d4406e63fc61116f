-- Rebuild the periods of an account's history that a late (or replaced) snapshot can change.
-- $since is the last merged snapshot before the late one (NULL: there is none, rebuild all).
-- A period that ended on or before $since cannot change: the snapshots that made it are all
-- earlier than the late one. Every other period of the account is rebuilt from the merged
-- snapshots dated $since or later (gaps and islands: a period is a run of consecutive
-- snapshots in which the person is present with the same tracked attributes). A period open
-- at $since keeps the start date and the untracked attributes it had. Gives exactly the rows
-- in-order merging gives; costs the snapshots after $since, not the whole history.

CREATE OR REPLACE TEMP TABLE reopened_periods AS
SELECT person_key, attributes_hash, valid_from, full_name, profile_url
FROM core.relationship_history
WHERE account = $account
  AND $since::DATE IS NOT NULL
  AND valid_from <= $since::DATE
  AND (valid_to IS NULL OR valid_to > $since::DATE);

DELETE FROM core.relationship_history
WHERE account = $account
  AND ($since::DATE IS NULL OR valid_to IS NULL OR valid_to > $since::DATE);

INSERT INTO core.relationship_history
WITH snaps AS (
    SELECT
        snapshot_date,
        lead(snapshot_date) OVER (ORDER BY snapshot_date) AS next_date,
        row_number() OVER (ORDER BY snapshot_date) AS snap_no
    FROM core.snapshots
    WHERE account = $account
      AND merged_at IS NOT NULL
      -- A snapshot that does not know the connections classifies nobody: the history
      -- goes on through it unchanged.
      AND connections_observed_on IS NOT NULL
      AND ($since::DATE IS NULL OR snapshot_date >= $since::DATE)
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
        min(snap_no) AS first_snap_no,
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
    $account AS account, p.person_key, p.relationship,
    CASE WHEN o.person_key IS NULL THEN p.full_name ELSE o.full_name END AS full_name,
    CASE WHEN o.person_key IS NULL THEN p.profile_url ELSE o.profile_url END AS profile_url,
    p.company, p.position, p.headline, p.attributes_hash,
    coalesce(o.valid_from, p.valid_from) AS valid_from,
    p.valid_to,
    p.valid_to IS NULL AS is_current
FROM periods AS p
LEFT JOIN reopened_periods AS o
    ON p.first_snap_no = 1
   AND o.person_key = p.person_key
   AND o.attributes_hash = p.attributes_hash;

DROP TABLE reopened_periods;
