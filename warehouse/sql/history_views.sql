-- History views over core.relationship_history, applied after views.sql by every migrate.

-- Every relationship as it stood on a date: the state of the account's last snapshot on or
-- before that date (periods are half-open: valid_from included, valid_to excluded). Dates
-- before an account's first snapshot give no rows for it. Usage:
--   SELECT * FROM analytics.relationships_as_of(DATE '2026-06-30') WHERE account = 'me';
CREATE OR REPLACE MACRO analytics.relationships_as_of(as_of) AS TABLE
SELECT
    account, person_key, relationship, full_name, profile_url, company, position, headline,
    valid_from, valid_to
FROM core.relationship_history
WHERE valid_from <= CAST(as_of AS DATE)
  AND (valid_to IS NULL OR valid_to > CAST(as_of AS DATE));

-- What changed between consecutive snapshots of an account, per person: event_date is the
-- snapshot where the change was first seen, previous_snapshot_date the one before it (the
-- change happened in between). An account's first snapshot is the baseline: no events.
-- Follow status is known only in snapshots with a follower list: `connection` (no list) and
-- absence from a snapshot without a list give no follow events. A connection's period whose
-- company (or, at the same company, position) differs from their previous connection
-- period's is a job change, dated by the new period's start.
CREATE OR REPLACE VIEW analytics.relationship_events AS
WITH snaps AS (
    SELECT
        account, snapshot_date, has_follower_list,
        lag(snapshot_date) OVER w AS previous_date,
        lag(has_follower_list) OVER w AS previous_has_follower_list
    FROM core.snapshots
    -- The snapshots that classify people: the history's own dates.
    WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL
    WINDOW w AS (PARTITION BY account ORDER BY snapshot_date)
),
ordered AS (
    SELECT
        account, person_key, relationship, valid_from, valid_to,
        lag(relationship) OVER w AS previous_relationship,
        lag(valid_to) OVER w AS previous_valid_to,
        lead(valid_from) OVER w AS next_valid_from
    FROM core.relationship_history
    WINDOW w AS (PARTITION BY account, person_key ORDER BY valid_from)
),
transitions AS (
    -- A period starts: the person's state before it is the previous period if it ended
    -- exactly there, else absent.
    SELECT
        account, person_key, valid_from AS event_date,
        CASE WHEN previous_valid_to = valid_from THEN previous_relationship END AS before,
        relationship AS after
    FROM ordered
    UNION ALL
    -- A period ends with no period right after it: the person left the snapshots.
    SELECT account, person_key, valid_to, relationship, NULL
    FROM ordered
    WHERE valid_to IS NOT NULL AND next_valid_from IS DISTINCT FROM valid_to
),
states AS (
    SELECT
        t.account, t.person_key, t.event_date, s.previous_date AS previous_snapshot_date,
        t.before AS relationship_before, t.after AS relationship_after,
        coalesce(t.before IN ('mutual', 'connection_only', 'connection'), false) AS was_connected,
        coalesce(t.after IN ('mutual', 'connection_only', 'connection'), false) AS is_connected,
        CASE
            WHEN t.before IN ('mutual', 'follower_only') THEN true
            WHEN t.before = 'connection' THEN NULL
            WHEN s.previous_has_follower_list THEN false
        END AS was_following,
        CASE
            WHEN t.after IN ('mutual', 'follower_only') THEN true
            WHEN t.after = 'connection' THEN NULL
            WHEN s.has_follower_list THEN false
        END AS is_following
    FROM transitions AS t
    JOIN snaps AS s ON s.account = t.account AND s.snapshot_date = t.event_date
    WHERE s.previous_date IS NOT NULL
),
connection_periods AS (
    -- A connection's periods only, so that a job change across a gap (unfollowed, or absent
    -- from some snapshots) compares with the last period in which they were connected.
    SELECT
        account, person_key, relationship, valid_from,
        nullif(lower(trim(company)), '') AS company,
        nullif(lower(trim(position)), '') AS position,
        lag(relationship) OVER w AS previous_relationship,
        lag(nullif(lower(trim(company)), '')) OVER w AS previous_company,
        lag(nullif(lower(trim(position)), '')) OVER w AS previous_position
    FROM core.relationship_history
    WHERE relationship IN ('mutual', 'connection_only', 'connection')
    WINDOW w AS (PARTITION BY account, person_key ORDER BY valid_from)
),
job_changes AS (
    SELECT
        p.account, p.person_key, p.valid_from AS event_date,
        CASE
            WHEN p.company <> p.previous_company THEN 'changed company'
            WHEN p.company IS NOT DISTINCT FROM p.previous_company
                AND p.position <> p.previous_position THEN 'changed position'
        END AS event,
        s.previous_date AS previous_snapshot_date,
        p.previous_relationship AS relationship_before,
        p.relationship AS relationship_after
    FROM connection_periods AS p
    JOIN snaps AS s ON s.account = p.account AND s.snapshot_date = p.valid_from
    WHERE s.previous_date IS NOT NULL AND p.previous_relationship IS NOT NULL
),
follow_events AS (
    SELECT
        account, person_key, event_date, event, previous_snapshot_date,
        relationship_before, relationship_after
    FROM states,
    LATERAL (
        SELECT unnest([
            CASE WHEN is_connected AND NOT was_connected THEN 'connected' END,
            CASE WHEN was_connected AND NOT is_connected THEN 'disconnected' END,
            CASE WHEN is_following AND NOT was_following THEN 'started following' END,
            CASE WHEN was_following AND NOT is_following THEN 'unfollowed' END,
            CASE
                WHEN is_connected AND relationship_before IN ('pending_outbound', 'pending_inbound')
                THEN 'invitation accepted'
            END
        ]) AS event
    )
)
SELECT
    account, person_key, event_date, event, previous_snapshot_date,
    relationship_before, relationship_after
FROM follow_events
WHERE event IS NOT NULL
UNION ALL
SELECT
    account, person_key, event_date, event, previous_snapshot_date,
    relationship_before, relationship_after
FROM job_changes
WHERE event IS NOT NULL;
