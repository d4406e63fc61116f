-- Version 4: observations on their own dates. Every inbox item observes part of an account
-- at its own date: an archive its connections (with the invitations and messages of the same
-- archive), a follower list its followers. The account's timeline has a snapshot on every
-- date with an observation in use; each snapshot carries the latest archive and the latest
-- follower list at or before its date, for at most LNW_CARRY_DAYS days.

-- The date an item observes, and how it was found: 'name' (a date in the file name) or
-- 'modified' (the file's modification time, for items without one).
ALTER TABLE raw.exports RENAME COLUMN snapshot_date TO observed_on;
ALTER TABLE raw.exports ADD COLUMN dated_by VARCHAR DEFAULT 'name';

-- One row per observation: the items of one kind and date of an account (a Complete archive
-- wins over a Basic one per file). `status` says whether the timeline uses it: `used`;
-- `blocked` by the partial-export gate (until accepted or replaced); `refused` by the raw
-- expectation suite. The figures are those of the observation itself, computed once when it
-- is judged, and compared with the previous used observation of the same kind.
CREATE TABLE core.observations (
    account              VARCHAR NOT NULL,
    kind                 VARCHAR NOT NULL,   -- connections (an archive) | followers (a list)
    observed_on          DATE NOT NULL,
    export_ids           VARCHAR[] NOT NULL, -- the exports supplying its files
    status               VARCHAR NOT NULL,   -- used | blocked | refused
    reason               VARCHAR,            -- why blocked or refused, in words
    accepted_by          VARCHAR,            -- what let a partial export through, if anything
    people               BIGINT,             -- identified connections, or keyed followers
    previous_observed_on DATE,               -- the previous used observation of the kind
    new_people           BIGINT,             -- people not in the previous one
    lost_people          BIGINT,             -- people of the previous one not in this one
    unidentified         BIGINT,             -- archives: blank-person rows of Connections.csv
    self_key             VARCHAR,            -- archives: the member's own person key
    has_invitations      BOOLEAN,            -- archives: an Invitations.csv
    has_messages         BOOLEAN,            -- archives: a messages.csv that says who
    identity             VARCHAR,            -- archives without URLs: how their rows were keyed
    invitations_since    TIMESTAMP,          -- archives: the oldest row of Invitations.csv
    judged_at            TIMESTAMPTZ NOT NULL
);

-- What each snapshot carries (NULL: unknown at that date). A snapshot whose connections are
-- unknown has no relationship rows: nobody is classified and the history does not change.
ALTER TABLE core.snapshots ADD COLUMN connections_observed_on DATE;
ALTER TABLE core.snapshots ADD COLUMN followers_observed_on DATE;
-- Followers at the snapshot: those of the carried list (the member left out), NULL without.
ALTER TABLE core.snapshots ADD COLUMN followers BIGINT;
ALTER TABLE core.snapshots ALTER COLUMN unidentified_connections DROP NOT NULL;
ALTER TABLE core.snapshots ALTER COLUMN export_ids DROP NOT NULL;
-- Snapshots of the previous version were dates with an archive, and a follower list when
-- they had one: that is what they carried.
UPDATE core.snapshots SET
    connections_observed_on = snapshot_date,
    followers_observed_on = CASE WHEN has_follower_list THEN snapshot_date END,
    followers = CASE WHEN has_follower_list THEN (
        SELECT count(*) FROM core.relationship_snapshots AS r
        WHERE r.account = core.snapshots.account AND r.snapshot_date = core.snapshots.snapshot_date
          AND r.is_follower
    ) END;

-- The date of the latest counted message with each person (drafts, sponsored messages and
-- others' group messages do not count), as of the archive's date.
ALTER TABLE core.relationship_snapshots ADD COLUMN last_conversation_on DATE;

-- Every figure that needs connections is NULL at a snapshot that does not know them.
ALTER TABLE marts.reach ALTER COLUMN connections DROP NOT NULL;
ALTER TABLE marts.reach ALTER COLUMN unidentified_connections DROP NOT NULL;
ALTER TABLE marts.reach ADD COLUMN connections_observed_on DATE;
ALTER TABLE marts.reach ADD COLUMN followers_observed_on DATE;
ALTER TABLE marts.messaging_capacity ALTER COLUMN messageable DROP NOT NULL;
ALTER TABLE marts.messaging_capacity ALTER COLUMN connection_headroom DROP NOT NULL;
ALTER TABLE marts.messaging_capacity ALTER COLUMN weeks_to_cap DROP NOT NULL;
ALTER TABLE marts.network_relevance ALTER COLUMN connections DROP NOT NULL;
ALTER TABLE marts.network_relevance ALTER COLUMN relevant_connections DROP NOT NULL;
ALTER TABLE marts.network_relevance ALTER COLUMN recent_connections DROP NOT NULL;
ALTER TABLE marts.network_relevance ALTER COLUMN recent_relevant_connections DROP NOT NULL;

-- Accounts whose snapshots were built by the previous version (one snapshot per date with an
-- archive, lists of other dates unused): their next load rebuilds them from their raw rows.
CREATE TABLE core.rebuilds_due (account VARCHAR NOT NULL);
INSERT INTO core.rebuilds_due SELECT DISTINCT account FROM raw.exports;
