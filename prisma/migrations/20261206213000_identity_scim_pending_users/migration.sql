-- owner: identity. A SCIM user an org's IdP provisioned for an email whose account this org
-- may not attach (yet): another tenant's user, the break-glass account, or an email outside
-- the domains the org claims. It is the org's own SCIM resource (same answers as any other)
-- and holds no account; the person's own sign-in through this org's IdP, or an account that
-- becomes attachable, turns it into a membership (identity/src/domain/scim-pending.ts).
CREATE TABLE "scim_pending_users" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "user_id" UUID,
    "external_id" TEXT,
    "name" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "scim_pending_users_pkey" PRIMARY KEY ("id")
);

-- Once attached, user_id names the account and this row stays the SCIM resource (its id is
-- the one the IdP knows).
CREATE UNIQUE INDEX "scim_pending_users_org_id_email_key" ON "scim_pending_users"("org_id", "email");

ALTER TABLE "scim_pending_users" ADD CONSTRAINT "scim_pending_users_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "scim_pending_users" ADD CONSTRAINT "scim_pending_users_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "scim_pending_users" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "scim_pending_users" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "scim_pending_users"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());
