-- SCD2 merge of an account's newest snapshot ($snapshot_date is after every merged one).
-- Touches only the account's current rows and the new snapshot: cost grows with the
-- snapshot, not with the history. A row whose tracked attributes are unchanged is not touched.

UPDATE core.relationship_history AS h
SET valid_to = $snapshot_date, is_current = false
WHERE h.account = $account
  AND h.is_current
  AND NOT EXISTS (
      SELECT 1
      FROM core.relationship_snapshots AS s
      WHERE s.account = $account
        AND s.snapshot_date = $snapshot_date
        AND s.person_key = h.person_key
        AND s.attributes_hash = h.attributes_hash
  );

INSERT INTO core.relationship_history
SELECT
    s.account, s.person_key, s.relationship, s.full_name, s.profile_url, s.company,
    s.position, s.headline, s.attributes_hash,
    s.snapshot_date AS valid_from, NULL AS valid_to, true AS is_current
FROM core.relationship_snapshots AS s
WHERE s.account = $account
  AND s.snapshot_date = $snapshot_date
  AND NOT EXISTS (
      SELECT 1
      FROM core.relationship_history AS h
      WHERE h.account = $account AND h.is_current AND h.person_key = s.person_key
  );
