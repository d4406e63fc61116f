-- The public SQL contract (docs/metrics.md): names, columns and meanings are stable.
-- Re-created after every migration; extra columns may be added, none renamed.

CREATE OR REPLACE VIEW analytics.current_relationships AS
WITH latest AS (
    -- The latest snapshot that classifies people (one that knows the connections).
    SELECT account, max(snapshot_date) AS snapshot_date
    FROM core.snapshots
    WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL
    GROUP BY account
)
SELECT
    r.account,
    r.person_key,
    r.full_name,
    r.profile_url,
    r.company,
    coalesce(r.position, r.headline) AS position,
    r.relationship,
    r.connected_on,
    c.relevance_score,
    c.is_relevant,
    r.snapshot_date
FROM core.relationship_snapshots AS r
JOIN latest USING (account, snapshot_date)
LEFT JOIN marts.contact_relevance AS c USING (account, snapshot_date, person_key);

CREATE OR REPLACE VIEW analytics.relationship_history AS
SELECT
    account, person_key, relationship, valid_from, valid_to, is_current,
    full_name, company, position, headline, profile_url
FROM core.relationship_history;

CREATE OR REPLACE VIEW analytics.reach AS
SELECT
    account, snapshot_date, followers, connections, unidentified_connections, mutual,
    connection_only, follower_only, audience, new_followers, lost_followers,
    follower_growth_rate, new_connections, lost_connections, followers_source,
    connections_observed_on, followers_observed_on
FROM marts.reach;

CREATE OR REPLACE VIEW analytics.messaging_capacity AS
SELECT
    account, snapshot_date, messageable, inmail_only, connection_headroom,
    active_conversations_90d, dormant_connections, pending_outbound, pending_inbound,
    invitation_acceptance_rate, weeks_to_cap, weekly_invitation_budget,
    -- Only the accepted share of the budget becomes connections.
    connection_headroom
        / (weekly_invitation_budget * nullif(invitation_acceptance_rate, 0))
        AS weeks_to_cap_at_acceptance
FROM marts.messaging_capacity;

CREATE OR REPLACE VIEW analytics.network_relevance AS
SELECT
    account, snapshot_date, connections, relevant_connections, relevance_rate, followers,
    relevant_followers, follower_relevance_rate, recent_connections, recent_relevance_rate,
    recent_relevant_connections
FROM marts.network_relevance;

-- Teams: one row per account at its latest snapshot with metrics, side by side.
CREATE OR REPLACE VIEW analytics.account_comparison AS
WITH latest AS (
    SELECT account, max(snapshot_date) AS snapshot_date, count(*) AS snapshots
    FROM marts.reach
    GROUP BY account
)
SELECT
    r.account,
    r.snapshot_date,
    l.snapshots,
    r.followers,
    r.followers_source,
    r.connections,
    r.unidentified_connections,
    r.mutual,
    r.connection_only,
    r.follower_only,
    r.new_followers,
    r.lost_followers,
    r.follower_growth_rate,
    r.new_connections,
    r.lost_connections,
    m.active_conversations_90d,
    m.dormant_connections,
    m.pending_outbound,
    m.pending_inbound,
    m.invitation_acceptance_rate,
    m.connection_headroom,
    m.weeks_to_cap,
    m.connection_headroom
        / (m.weekly_invitation_budget * nullif(m.invitation_acceptance_rate, 0))
        AS weeks_to_cap_at_acceptance,
    n.relevant_connections,
    n.relevance_rate,
    n.relevant_followers,
    n.follower_relevance_rate,
    n.recent_connections,
    n.recent_relevance_rate
FROM latest AS l
JOIN marts.reach AS r USING (account, snapshot_date)
JOIN marts.messaging_capacity AS m USING (account, snapshot_date)
JOIN marts.network_relevance AS n USING (account, snapshot_date);
