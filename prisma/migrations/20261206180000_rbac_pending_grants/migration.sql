-- owner: rbac. Roles promised to an email before the person has an account (the platform
-- naming an org's first owner); only that email's own verified sign-in through the org's IdP
-- turns one into a membership.
CREATE TABLE "pending_grants" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "accepted_at" TIMESTAMPTZ(3),
    "accepted_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_grants_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "pending_grants_org_id_email_idx" ON "pending_grants"("org_id", "email");
-- One open grant per (org, email): a second request while one is open is a conflict.
CREATE UNIQUE INDEX "pending_grants_open_key" ON "pending_grants"("org_id", "email")
  WHERE "revoked_at" IS NULL AND "accepted_at" IS NULL;

ALTER TABLE "pending_grants" ADD CONSTRAINT "pending_grants_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "orgs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "pending_grants" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "pending_grants" FORCE ROW LEVEL SECURITY;
CREATE POLICY org_isolation ON "pending_grants"
  USING (airlock_is_system() OR "org_id" = airlock_current_org())
  WITH CHECK (airlock_is_system() OR "org_id" = airlock_current_org());
