-- The partnership type has one home now: the sync terms of the partner's
-- contract (contract.sync.partnershipType), which decide what is pushed. A fee
-- contract prices every type (baseFee.link/template/content) and no longer
-- names one. Revisions are history, so none is rewritten: for each partner
-- whose latest revision still names a type, a new revision is recorded without
-- it. The earlier revisions, and every closed statement (which records the
-- type it was computed for), keep what they said.
INSERT INTO fee_contracts (partner, revision, json, recorded_at, recorded_by)
SELECT c.partner,
       c.revision + 1,
       json_set(c.json, '$.versions', (
         SELECT json_group_array(json_remove(v.value, '$.terms.partnershipType'))
         FROM (SELECT value FROM json_each(c.json, '$.versions') ORDER BY key) AS v
       )),
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
       'upgrade: the partnership type moved to the sync terms'
FROM fee_contracts AS c
WHERE c.revision = (SELECT MAX(revision) FROM fee_contracts WHERE partner = c.partner)
  AND EXISTS (SELECT 1 FROM json_each(c.json, '$.versions') WHERE json_type(value, '$.terms.partnershipType') IS NOT NULL);
