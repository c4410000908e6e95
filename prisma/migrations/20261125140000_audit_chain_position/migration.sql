-- owner: audit. One row per chain position in each org: a second writer appending the same
-- position (a bug, or two consumers racing without the advisory lock) fails instead of
-- forking the hash chain. NULLS NOT DISTINCT: platform events (org_id NULL) form one chain too.
-- It also serves the chain-head lookup (ORDER BY seq DESC LIMIT 1) and verification scans.
CREATE UNIQUE INDEX "audit_events_org_id_seq_key" ON "audit_events"("org_id", "seq") NULLS NOT DISTINCT;
