"""The rules of the lists of people and other public views (warehouse/sql/action_views.sql):
each query counts the rows of a view that break one.

They are the `rules_hold` check of each view's asset, run by the step that publishes the
views (pipelines/assets/marts.py) on the views it has just evaluated for their metadata: one
evaluation of each view serves both (on 5 accounts x 3 snapshots the rules took 0.9-1.0 s on
the views themselves and 0.1 s on the evaluated ones).
"""

from __future__ import annotations

import re

import duckdb

_CONNECTED = "('mutual', 'connection_only', 'connection')"
VIEW_RULES = {
    "reengage": {
        "each row a relevant connection without a counted conversation": f"""
            SELECT count(*) FROM analytics.reengage AS e
            LEFT JOIN analytics.current_relationships AS c USING (account, person_key)
            LEFT JOIN core.relationship_snapshots AS r ON r.account = c.account
                AND r.snapshot_date = c.snapshot_date AND r.person_key = c.person_key
            WHERE c.person_key IS NULL OR c.relationship NOT IN {_CONNECTED}
               OR NOT c.is_relevant OR r.active_90d IS DISTINCT FROM false""",
        "last conversation before the 90 days": """
            SELECT count(*) FROM analytics.reengage AS e
            JOIN analytics.reach AS r USING (account)
            WHERE r.snapshot_date = (SELECT max(snapshot_date) FROM analytics.reach AS x
                                     WHERE x.account = e.account
                                       AND x.connections_observed_on IS NOT NULL)
              AND e.last_conversation_on > r.connections_observed_on - 90""",
    },
    "stale_invitations": {
        "each row an outbound invitation still pending": f"""
            SELECT count(*) FROM analytics.stale_invitations AS s
            LEFT JOIN analytics.current_relationships AS c USING (account, person_key)
            WHERE c.person_key IS NULL OR c.relationship IN {_CONNECTED}""",
        "pending at least the threshold": """
            SELECT count(*) FROM analytics.stale_invitations
            WHERE days_pending < (SELECT coalesce(max(CAST(value AS INTEGER)), 21)
                                  FROM marts.settings WHERE name = 'stale_invitation_days')""",
    },
    "invite_candidates": {
        "each row a relevant follower_only person": """
            SELECT count(*) FROM analytics.invite_candidates AS i
            LEFT JOIN analytics.current_relationships AS c USING (account, person_key)
            WHERE c.relationship IS DISTINCT FROM 'follower_only' OR NOT c.is_relevant""",
    },
    "network_growth": {
        "the last month's total is today's connections with a Connected On": f"""
            WITH last AS (
                SELECT account, arg_max(connections_total, month) AS total
                FROM analytics.network_growth GROUP BY account),
            today AS (
                SELECT account, count(*) AS connections FROM analytics.current_relationships
                WHERE relationship IN {_CONNECTED} AND connected_on IS NOT NULL
                GROUP BY account)
            SELECT count(*) FROM last FULL JOIN today USING (account)
            WHERE total IS DISTINCT FROM connections""",
    },
    "network_composition": {
        "seniority buckets add up to the connections": f"""
            WITH buckets AS (
                SELECT account, sum(connections) AS connections
                FROM analytics.network_composition WHERE dimension = 'seniority'
                GROUP BY account),
            today AS (
                SELECT account, count(*) AS connections FROM analytics.current_relationships
                WHERE relationship IN {_CONNECTED} GROUP BY account)
            SELECT count(*) FROM buckets JOIN today USING (account)
            WHERE buckets.connections <> today.connections""",
        "relevant at most all, no empty group": """
            SELECT count(*) FROM analytics.network_composition
            WHERE relevant_connections > connections
               OR (connections = 0 AND coalesce(followers, 0) = 0)""",
    },
    "target_company_contacts": {
        "each target an entry of the ICP": """
            SELECT count(*) FROM analytics.target_company_contacts
            WHERE target_company NOT IN (SELECT target_company FROM marts.target_companies)""",
    },
    "team_overlap": {
        "each person related to two or more accounts": """
            SELECT count(*) FROM analytics.team_overlap
            WHERE len(accounts) < 2 OR connected_accounts > len(accounts)
               OR following_accounts > len(accounts)
               OR connected_accounts + following_accounts < len(accounts)""",
    },
    "team_reach": {
        "unique figures at most the sums": """
            SELECT count(*) FROM analytics.team_reach
            WHERE unique_followers > followers_sum OR unique_connections > connections_sum
               OR unique_people < greatest(unique_connections, coalesce(unique_followers, 0))
               OR unique_people > connections_sum + coalesce(followers_sum, 0)""",
    },
}
_VIEW = re.compile(r"\banalytics\.(\w+)")


def views_read(view: str) -> set[str]:
    """The public views the rules of ``view`` read (itself included)."""
    return {name for sql in VIEW_RULES.get(view, {}).values() for name in _VIEW.findall(sql)}


def broken_rows(con: duckdb.DuckDBPyConnection, view: str, catalog: str | None = None) -> dict:
    """The rows of ``view`` breaking each of its rules; with ``catalog``, counted on the views
    evaluated as tables into that catalog's `analytics` schema instead of the views."""
    counts = {}
    for rule, sql in VIEW_RULES.get(view, {}).items():
        if catalog is not None:
            sql = _VIEW.sub(lambda found: f"{catalog}.analytics.{found[1]}", sql)
        counts[rule] = con.execute(sql).fetchall()[0][0]
    return counts
