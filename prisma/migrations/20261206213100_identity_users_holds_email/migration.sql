-- owner: identity. Squatting (issue 12): an account an org's IdP creates for an email outside
-- any domain the org claims (an org with no allowedEmailDomains) does not hold the email
-- globally. It is reached only by its (connection, subject) identity, never by email, so it
-- cannot block the org that owns the domain. Accounts holding their email stay unique by email.
ALTER TABLE "users" ADD COLUMN "holds_email" BOOLEAN NOT NULL DEFAULT true;

DROP INDEX "users_email_key";
CREATE UNIQUE INDEX "users_email_key" ON "users"("email") WHERE "holds_email";
CREATE INDEX "users_email_idx" ON "users"("email");
