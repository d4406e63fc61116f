-- Version 1: raw (as exported, append-only), core (snapshots and history), marts (metrics).
-- No primary keys on the large tables: uniqueness is enforced by asset checks, and DuckDB's
-- indexes would cost memory on million-row follower lists.

CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS analytics;

-- One row per inbox item loaded (an archive zip or folder, or a follower list).
CREATE TABLE raw.exports (
    export_id      VARCHAR NOT NULL,   -- first 16 hex digits of the item's SHA-256
    account        VARCHAR NOT NULL,
    snapshot_date  DATE NOT NULL,
    item_name      VARCHAR NOT NULL,   -- file or folder name in the inbox
    item_kind      VARCHAR NOT NULL,   -- archive | follower_list
    content_sha256 VARCHAR NOT NULL,
    archive_path   VARCHAR NOT NULL,   -- the kept copy, relative to the home
    loaded_at      TIMESTAMPTZ NOT NULL
);

-- One row per file of an item that was read, with how it was read.
CREATE TABLE raw.export_files (
    export_id   VARCHAR NOT NULL,
    file_kind   VARCHAR NOT NULL,      -- connections | invitations | messages | followers
    source_file VARCHAR NOT NULL,
    encoding    VARCHAR NOT NULL,
    resaved     BOOLEAN NOT NULL,      -- legacy encoding: probably re-saved by a spreadsheet
    row_count   BIGINT NOT NULL
);

CREATE TABLE raw.connections (
    export_id    VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    row_number   BIGINT NOT NULL,
    first_name   VARCHAR,
    last_name    VARCHAR,
    profile_url  VARCHAR,
    email_hash   VARCHAR,              -- salted SHA-256; the address itself is never stored
    company      VARCHAR,
    position     VARCHAR,
    connected_on DATE
);

CREATE TABLE raw.invitations (
    export_id    VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    row_number   BIGINT NOT NULL,
    direction    VARCHAR NOT NULL,
    sent_at      TIMESTAMP,            -- as exported: no timezone (probably US Pacific)
    inviter_name VARCHAR,
    invitee_name VARCHAR,
    inviter_url  VARCHAR,
    invitee_url  VARCHAR
);

-- Message bodies, subjects and display names are never stored.
CREATE TABLE raw.messages (
    export_id       VARCHAR NOT NULL,
    source_file     VARCHAR NOT NULL,
    row_number      BIGINT NOT NULL,
    conversation_id VARCHAR,
    sender_url      VARCHAR,
    recipient_urls  VARCHAR[],
    sent_at         TIMESTAMPTZ,
    is_draft        BOOLEAN NOT NULL,
    is_sponsored    BOOLEAN NOT NULL
);

CREATE TABLE raw.followers (
    export_id   VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    row_number  BIGINT NOT NULL,
    profile_url VARCHAR,
    full_name   VARCHAR,
    headline    VARCHAR,
    followed_at DATE
);

-- One row per (account, snapshot date) built from raw.
CREATE TABLE core.snapshots (
    account                  VARCHAR NOT NULL,
    snapshot_date            DATE NOT NULL,
    export_ids               VARCHAR[] NOT NULL,
    self_key                 VARCHAR,
    has_follower_list        BOOLEAN NOT NULL,
    has_invitations          BOOLEAN NOT NULL,
    has_messages             BOOLEAN NOT NULL,
    unidentified_connections BIGINT NOT NULL,
    built_at                 TIMESTAMPTZ NOT NULL,
    -- When the history last took this snapshot in; older than built_at: a merge is due.
    merged_at                TIMESTAMPTZ,
    marts_stale              BOOLEAN NOT NULL DEFAULT true
);

CREATE TABLE core.relationship_snapshots (
    account            VARCHAR NOT NULL,
    snapshot_date      DATE NOT NULL,
    person_key         VARCHAR NOT NULL,
    key_is_weak        BOOLEAN NOT NULL,
    full_name          VARCHAR,
    profile_url        VARCHAR,
    company            VARCHAR,
    position           VARCHAR,
    headline           VARCHAR,
    connected_on       DATE,
    is_connection      BOOLEAN NOT NULL,
    is_follower        BOOLEAN,           -- NULL: the snapshot has no follower list
    invitation         VARCHAR,           -- outbound | inbound | NULL
    invitation_sent_at TIMESTAMP,
    active_90d         BOOLEAN,           -- NULL: the snapshot has no messages.csv
    relationship       VARCHAR NOT NULL,
    attributes_hash    VARCHAR NOT NULL   -- of the tracked columns, for the history
);

-- SCD type 2: one row per (account, person, period of unchanged tracked attributes).
CREATE TABLE core.relationship_history (
    account         VARCHAR NOT NULL,
    person_key      VARCHAR NOT NULL,
    relationship    VARCHAR NOT NULL,
    full_name       VARCHAR,
    profile_url     VARCHAR,
    company         VARCHAR,
    position        VARCHAR,
    headline        VARCHAR,
    attributes_hash VARCHAR NOT NULL,
    valid_from      DATE NOT NULL,
    valid_to        DATE,                 -- NULL while current
    is_current      BOOLEAN NOT NULL
);

CREATE TABLE marts.reach (
    account                  VARCHAR NOT NULL,
    snapshot_date            DATE NOT NULL,
    followers                BIGINT,
    connections              BIGINT NOT NULL,
    unidentified_connections BIGINT NOT NULL,
    mutual                   BIGINT,
    connection_only          BIGINT,
    follower_only            BIGINT,
    audience                 BIGINT,
    new_followers            BIGINT,
    lost_followers           BIGINT,
    follower_growth_rate     DOUBLE,
    new_connections          BIGINT,
    lost_connections         BIGINT,
    followers_source         VARCHAR
);

CREATE TABLE marts.messaging_capacity (
    account                    VARCHAR NOT NULL,
    snapshot_date              DATE NOT NULL,
    messageable                BIGINT NOT NULL,
    inmail_only                BIGINT,
    connection_headroom        BIGINT NOT NULL,
    active_conversations_90d   BIGINT,
    dormant_connections        BIGINT,
    pending_outbound           BIGINT,
    pending_inbound            BIGINT,
    invitation_acceptance_rate DOUBLE,
    weekly_invitation_budget   BIGINT NOT NULL,
    weeks_to_cap               DOUBLE NOT NULL
);

CREATE TABLE marts.network_relevance (
    account                     VARCHAR NOT NULL,
    snapshot_date               DATE NOT NULL,
    connections                 BIGINT NOT NULL,
    relevant_connections        BIGINT NOT NULL,
    relevance_rate              DOUBLE,
    followers                   BIGINT,
    relevant_followers          BIGINT,
    follower_relevance_rate     DOUBLE,
    recent_connections          BIGINT NOT NULL,
    recent_relevant_connections BIGINT NOT NULL,
    recent_relevance_rate       DOUBLE
);

-- Per person at each account's latest snapshot (the ICP can change, so it is recomputed).
CREATE TABLE marts.contact_relevance (
    account         VARCHAR NOT NULL,
    snapshot_date   DATE NOT NULL,
    person_key      VARCHAR NOT NULL,
    relevance_score DOUBLE NOT NULL,
    is_relevant     BOOLEAN NOT NULL
);

-- Settings the marts were computed with (the ICP fingerprint, the invitation budget).
CREATE TABLE marts.settings (
    name  VARCHAR NOT NULL,
    value VARCHAR NOT NULL
);
