-- Row-level security: the second wall behind the application's own org scoping.
-- The app sets, per transaction (set_config(..., true)), either airlock.org_id (a tenant's
-- request) or airlock.system = 'on' (platform work: token lookup by hash, org admin, ingest).
-- With neither set a query sees no rows and can write none: fail closed.
-- FORCE applies the policies to the table owner too. Superusers and BYPASSRLS roles skip
-- them, so production must connect as an ordinary role (docs/data-model.md).

CREATE FUNCTION airlock_current_org() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT NULLIF(current_setting('airlock.org_id', true), '')::uuid
$$;

CREATE FUNCTION airlock_is_system() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('airlock.system', true), '') = 'on'
$$;

ALTER TABLE "orgs" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "orgs" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "orgs"
  USING (airlock_is_system() OR "id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "id" = airlock_current_org());

-- Platform-level upstreams (org_id NULL) are readable by every org (but not by an unscoped
-- query), writable only by the platform.
ALTER TABLE "upstreams" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "upstreams" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "upstreams"
  USING (airlock_is_system() OR "org_id" = airlock_current_org()
         OR ("org_id" IS NULL AND airlock_current_org() IS NOT NULL))
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "memberships" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "memberships" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "memberships"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "org_policies" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "org_policies" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "org_policies"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "sso_connections" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "sso_connections" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "sso_connections"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "sso_identities" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "sso_identities" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "sso_identities"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "sessions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "sessions" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "sessions"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "api_tokens" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "api_tokens" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "api_tokens"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "scim_tokens" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "scim_tokens" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "scim_tokens"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "audit_events" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "audit_events" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "audit_events"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());

ALTER TABLE "audit_checkpoints" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "audit_checkpoints" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "audit_checkpoints"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());
