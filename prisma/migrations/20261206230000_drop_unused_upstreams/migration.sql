-- Upstreams are data in each org's policy document (org_policies.document.upstreams), read by the
-- gateway through the policy reader. This table, from the first schema, was never read or
-- written by any service: drop it (its row-level security policy goes with it) and its enum.
DROP TABLE "upstreams";

DROP TYPE "UpstreamKind";
