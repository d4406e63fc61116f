-- Lists of people to act on, and the network's shape, at each account's latest snapshot that
-- classifies people (the one analytics.current_relationships shows). Applied after
-- history_views.sql by every migrate; part of the public contract (docs/metrics.md).

-- The network you have today by the month you connected, back to your first connection.
-- People who left are in no export: the curve is today's network, not yesterday's.
CREATE OR REPLACE VIEW analytics.network_growth AS
WITH latest AS (
    SELECT account, max(snapshot_date) AS snapshot_date
    FROM core.snapshots
    WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL
    GROUP BY account
),
added AS (
    SELECT r.account, CAST(date_trunc('month', r.connected_on) AS DATE) AS month,
           count(*) AS connections_added
    FROM core.relationship_snapshots AS r
    JOIN latest AS l ON l.account = r.account AND l.snapshot_date = r.snapshot_date
    WHERE r.is_connection AND r.connected_on IS NOT NULL
    GROUP BY r.account, month
),
months AS (
    SELECT a.account,
           CAST(unnest(generate_series(
               min(a.month), CAST(date_trunc('month', max(l.snapshot_date)) AS DATE),
               INTERVAL 1 MONTH
           )) AS DATE) AS month
    FROM added AS a
    JOIN latest AS l ON l.account = a.account
    GROUP BY a.account
)
-- The running total by a join on earlier months rather than a window: the same figures, and
-- a lineage that names no partitioning column.
SELECT
    m.account,
    m.month,
    CAST(coalesce(sum(a.connections_added) FILTER (WHERE a.month = m.month), 0) AS BIGINT)
        AS connections_added,
    CAST(coalesce(sum(a.connections_added), 0) AS BIGINT) AS connections_total
FROM months AS m
LEFT JOIN added AS a ON a.account = m.account AND a.month <= m.month
GROUP BY m.account, m.month;

-- Relevant connections with no counted conversation in the 90 days up to the archive's date
-- (active_conversations_90d's definition). Without a messages.csv nothing is known: no rows.
CREATE OR REPLACE VIEW analytics.reengage AS
WITH latest AS (
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
    r.position,
    c.relevance_score,
    r.connected_on,
    r.last_conversation_on
FROM core.relationship_snapshots AS r
JOIN latest AS l ON l.account = r.account AND l.snapshot_date = r.snapshot_date
JOIN core.snapshots AS s ON s.account = r.account AND s.snapshot_date = r.snapshot_date
JOIN marts.contact_relevance AS c
    ON c.account = r.account AND c.snapshot_date = r.snapshot_date
    AND c.person_key = r.person_key
WHERE s.has_messages AND r.is_connection AND c.is_relevant AND NOT coalesce(r.active_90d, false);

-- Outbound invitations pending at the snapshot (as pending_outbound counts them) for at least
-- LNW_STALE_INVITATION_DAYS days (marts.settings, written by each metrics refresh).
CREATE OR REPLACE VIEW analytics.stale_invitations AS
WITH latest AS (
    SELECT account, max(snapshot_date) AS snapshot_date
    FROM core.snapshots
    WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL
    GROUP BY account
),
threshold AS (
    SELECT coalesce(max(CAST(value AS INTEGER)), 21) AS days
    FROM marts.settings
    WHERE name = 'stale_invitation_days'
),
pending AS (
    SELECT
        r.account, r.person_key, r.full_name, r.profile_url,
        CAST(r.invitation_sent_at AS DATE) AS sent_on,
        r.snapshot_date - CAST(r.invitation_sent_at AS DATE) AS days_pending
    FROM core.relationship_snapshots AS r
    JOIN latest AS l ON l.account = r.account AND l.snapshot_date = r.snapshot_date
    WHERE r.invitation = 'outbound' AND NOT r.is_connection
)
SELECT p.account, p.person_key, p.full_name, p.profile_url, p.sent_on, p.days_pending
FROM pending AS p, threshold AS t
WHERE p.days_pending >= t.days;

-- Relevant followers you are not connected to and have no open invitation with, either way.
-- Pending invitations are known only from an Invitations.csv: without one, no rows.
CREATE OR REPLACE VIEW analytics.invite_candidates AS
WITH latest AS (
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
    r.headline,
    c.relevance_score
FROM core.relationship_snapshots AS r
JOIN latest AS l ON l.account = r.account AND l.snapshot_date = r.snapshot_date
JOIN core.snapshots AS s ON s.account = r.account AND s.snapshot_date = r.snapshot_date
JOIN marts.contact_relevance AS c
    ON c.account = r.account AND c.snapshot_date = r.snapshot_date
    AND c.person_key = r.person_key
WHERE s.has_invitations AND r.relationship = 'follower_only' AND r.invitation IS NULL
  AND c.is_relevant;

-- The network by company (connections only: follower lists carry no company) and by
-- seniority (connections by position, followers by headline).
CREATE OR REPLACE VIEW analytics.network_composition AS
WITH latest AS (
    SELECT account, max(snapshot_date) AS snapshot_date
    FROM core.snapshots
    WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL
    GROUP BY account
),
people AS (
    SELECT
        r.account, r.is_connection, r.company, r.position, r.headline, c.is_relevant,
        r.relationship IN ('mutual', 'follower_only') AS follows, s.has_follower_list
    FROM core.relationship_snapshots AS r
    JOIN latest AS l ON l.account = r.account AND l.snapshot_date = r.snapshot_date
    JOIN core.snapshots AS s ON s.account = r.account AND s.snapshot_date = r.snapshot_date
    LEFT JOIN marts.contact_relevance AS c
        ON c.account = r.account AND c.snapshot_date = r.snapshot_date
        AND c.person_key = r.person_key
),
spellings AS (
    SELECT account, lower(trim(company)) AS company_key, trim(company) AS spelling,
           count(*) AS connections,
           count(*) FILTER (WHERE is_relevant) AS relevant_connections
    FROM people
    WHERE is_connection AND trim(company) <> ''
    GROUP BY account, company_key, spelling
),
companies AS (
    SELECT
        account, company_key, spelling,
        CAST(sum(connections) OVER w AS BIGINT) AS connections,
        CAST(sum(relevant_connections) OVER w AS BIGINT) AS relevant_connections,
        -- The group's most common spelling names it; ties go to the first in code-point order.
        row_number() OVER (
            PARTITION BY account, company_key ORDER BY connections DESC, spelling
        ) AS rank
    FROM spellings
    WINDOW w AS (PARTITION BY account, company_key)
),
texts AS (
    SELECT account, position AS text, true AS as_connection, is_relevant, has_follower_list
    FROM people
    WHERE is_connection
    UNION ALL
    SELECT account, headline, false, false, has_follower_list
    FROM people
    WHERE follows
),
-- People who share a text are counted together first: the buckets' six patterns then run
-- once per distinct text (1.5 s to 0.9 s for a million followers with 270,000 headlines).
tallied AS (
    SELECT account, text, as_connection, is_relevant, has_follower_list, count(*) AS people
    FROM texts
    GROUP BY ALL
),
bucketed AS (
    -- The first bucket with a keyword on word boundaries, in any case (word characters as
    -- the ICP's: Unicode letters, marks, digits and connectors). Constant patterns, so that
    -- DuckDB compiles each once.
    SELECT
        account, as_connection, is_relevant, has_follower_list, people,
        CASE
            WHEN text IS NULL OR trim(text) = '' THEN 'unknown'
            WHEN regexp_matches(text,
                '(?i)(?:^|[^\pL\pM\p{Nd}\p{Pc}])(?:founder|co-founder|cofounder)(?:$|[^\pL\pM\p{Nd}\p{Pc}])')
                THEN 'founder'
            WHEN regexp_matches(text,
                '(?i)(?:^|[^\pL\pM\p{Nd}\p{Pc}])(?:chief|ceo|cto|cfo|coo|cmo|cro|cpo)(?:$|[^\pL\pM\p{Nd}\p{Pc}])')
                THEN 'c-level'
            WHEN regexp_matches(text,
                '(?i)(?:^|[^\pL\pM\p{Nd}\p{Pc}])(?:vp|svp|evp|vice president)(?:$|[^\pL\pM\p{Nd}\p{Pc}])')
                THEN 'vp'
            WHEN regexp_matches(text,
                '(?i)(?:^|[^\pL\pM\p{Nd}\p{Pc}])(?:director|head of)(?:$|[^\pL\pM\p{Nd}\p{Pc}])')
                THEN 'director'
            WHEN regexp_matches(text,
                '(?i)(?:^|[^\pL\pM\p{Nd}\p{Pc}])(?:manager|lead)(?:$|[^\pL\pM\p{Nd}\p{Pc}])')
                THEN 'manager'
            WHEN regexp_matches(text,
                '(?i)(?:^|[^\pL\pM\p{Nd}\p{Pc}])(?:student|intern|trainee)(?:$|[^\pL\pM\p{Nd}\p{Pc}])')
                THEN 'student'
            ELSE 'other'
        END AS value
    FROM tallied
)
SELECT
    c.account,
    'company' AS dimension,
    c.spelling AS value,
    c.connections,
    c.relevant_connections,
    CAST(NULL AS BIGINT) AS followers
FROM companies AS c
WHERE c.rank = 1
UNION ALL
SELECT
    account,
    'seniority',
    value,
    CAST(coalesce(sum(people) FILTER (WHERE as_connection), 0) AS BIGINT),
    CAST(coalesce(sum(people) FILTER (WHERE as_connection AND is_relevant), 0) AS BIGINT),
    CASE
        WHEN bool_or(has_follower_list)
            THEN CAST(coalesce(sum(people) FILTER (WHERE NOT as_connection), 0) AS BIGINT)
    END
FROM bucketed
GROUP BY account, value;

-- Everyone who works or worked at a target company of the ICP (include_companies), by the
-- ICP's company rule applied to every period of the account's history: a connection's
-- company, a follower's headline. left_on: when the last matching period ended.
CREATE OR REPLACE VIEW analytics.target_company_contacts AS
WITH periods AS (
    SELECT
        h.account, h.person_key, h.is_current, h.valid_to,
        CASE
            WHEN h.relationship IN ('mutual', 'connection_only', 'connection') THEN h.company
            WHEN h.relationship = 'follower_only' THEN h.headline
        END AS text
    FROM core.relationship_history AS h
),
-- The pattern comes from a table, so DuckDB compiles it for every row it tests (about 0.7 ms
-- each): a plain substring test first, which most texts fail, then the pattern once per
-- distinct text. Testing each period took 17 s on a history of a million people where
-- 13,000 periods name a target company in 273 distinct texts.
named AS (
    SELECT DISTINCT p.text, t.target_company
    FROM periods AS p
    JOIN marts.target_companies AS t ON contains(lower(p.text), lower(t.target_company))
),
matching_texts AS (
    SELECT n.text, n.target_company
    FROM named AS n
    JOIN marts.target_companies AS t
        ON t.target_company = n.target_company AND regexp_matches(n.text, t.pattern)
),
matches AS (
    SELECT
        p.account, m.target_company, p.person_key,
        bool_or(p.is_current) AS matches_now,
        max(p.valid_to) AS last_match_ended
    FROM periods AS p
    JOIN matching_texts AS m ON m.text = p.text
    GROUP BY p.account, m.target_company, p.person_key
),
-- The latest period of the matched people only: numbering every person's periods first took
-- three times as long on a history of a million people.
latest AS (
    SELECT
        h.account, h.person_key, h.relationship, h.is_current, h.full_name, h.profile_url,
        h.company, h.position, h.headline
    FROM core.relationship_history AS h
    SEMI JOIN matches AS m ON m.account = h.account AND m.person_key = h.person_key
    QUALIFY row_number() OVER (
        PARTITION BY h.account, h.person_key ORDER BY h.valid_from DESC
    ) = 1
)
SELECT
    m.account,
    m.target_company,
    m.person_key,
    p.full_name,
    p.profile_url,
    CASE WHEN p.is_current THEN p.relationship END AS relationship,
    CASE WHEN p.relationship <> 'follower_only' THEN p.company END AS current_company,
    CASE WHEN p.relationship = 'follower_only' THEN p.headline ELSE p.position END
        AS current_position,
    CASE WHEN NOT m.matches_now THEN m.last_match_ended END AS left_on
FROM matches AS m
JOIN latest AS p ON p.account = m.account AND p.person_key = m.person_key;

-- For teams: people related to two or more accounts (a connection or a follower of each),
-- at each account's latest snapshot.
CREATE OR REPLACE VIEW analytics.team_overlap AS
WITH latest AS (
    SELECT account, max(snapshot_date) AS snapshot_date
    FROM core.snapshots
    WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL
    GROUP BY account
),
related AS (
    SELECT
        r.account, r.person_key, r.full_name, r.profile_url, r.is_connection,
        r.relationship IN ('mutual', 'follower_only') AS is_following
    FROM core.relationship_snapshots AS r
    JOIN latest AS l ON l.account = r.account AND l.snapshot_date = r.snapshot_date
    WHERE r.is_connection OR r.relationship IN ('mutual', 'follower_only')
),
-- The people of two or more accounts are found on their keys alone, and only they are then
-- grouped with their names and URLs: grouping everyone with those took twice the time and
-- held 0.3 GiB more for an account of a million followers (0.36 s against 0.17 s).
shared AS (
    SELECT person_key FROM related GROUP BY person_key HAVING count(*) >= 2
)
SELECT
    r.person_key,
    -- The name and URL as the first account (in the sorted list) has them.
    arg_min(r.full_name, r.account) AS full_name,
    arg_min(r.profile_url, r.account) AS profile_url,
    list_sort(list(r.account)) AS accounts,
    count(*) FILTER (WHERE r.is_connection) AS connected_accounts,
    count(*) FILTER (WHERE r.is_following) AS following_accounts
FROM related AS r
SEMI JOIN shared AS s ON s.person_key = r.person_key
GROUP BY r.person_key;

-- For teams: the audience and network of all accounts, each person counted once, at each
-- account's latest snapshot. Follower figures cover the accounts with a follower list.
CREATE OR REPLACE VIEW analytics.team_reach AS
WITH latest AS (
    SELECT account, max(snapshot_date) AS snapshot_date
    FROM core.snapshots
    WHERE merged_at IS NOT NULL AND connections_observed_on IS NOT NULL
    GROUP BY account
),
listed AS (
    -- Whether any latest snapshot has a follower list, even one that lists nobody.
    SELECT coalesce(bool_or(s.has_follower_list), false) AS any_list
    FROM latest AS l
    JOIN core.snapshots AS s ON s.account = l.account AND s.snapshot_date = l.snapshot_date
),
-- Each person once, with how many accounts they follow and are connected to: three
-- count(DISTINCT) over every row held three sets of keys (a million followers: 0.25-0.29 s
-- against 0.12-0.13 s, and 130 MB more).
people AS (
    SELECT
        r.person_key,
        count(*) FILTER (WHERE r.relationship IN ('mutual', 'follower_only')) AS following,
        count(*) FILTER (WHERE r.is_connection) AS connected
    FROM core.relationship_snapshots AS r
    JOIN latest AS l ON l.account = r.account AND l.snapshot_date = r.snapshot_date
    WHERE r.is_connection OR r.relationship IN ('mutual', 'follower_only')
    GROUP BY r.person_key
),
counted AS (
    -- One row even without people: aggregates without GROUP BY.
    SELECT
        CAST(coalesce(sum(following), 0) AS BIGINT) AS followers_sum,
        count(*) FILTER (WHERE following > 0) AS unique_followers,
        CAST(coalesce(sum(connected), 0) AS BIGINT) AS connections_sum,
        count(*) FILTER (WHERE connected > 0) AS unique_connections,
        count(*) AS unique_people
    FROM people
),
accounts AS (
    SELECT count(*) AS accounts FROM latest
)
SELECT
    a.accounts,
    CASE WHEN l.any_list THEN c.followers_sum END AS followers_sum,
    CASE WHEN l.any_list THEN c.unique_followers END AS unique_followers,
    c.connections_sum,
    c.unique_connections,
    c.unique_people
FROM accounts AS a, listed AS l, counted AS c;
