-- owner: identity. Users an org's IdP manages through SCIM, with their SCIM active state in
-- that org (so a deactivated user stays visible to the IdP and can be reactivated).
CREATE TABLE "scim_users" (
    "org_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "external_id" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "scim_users_pkey" PRIMARY KEY ("org_id","user_id")
);

CREATE INDEX "scim_users_user_id_idx" ON "scim_users"("user_id");

ALTER TABLE "scim_users" ADD CONSTRAINT "scim_users_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "scim_users" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "scim_users" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "scim_users"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());
