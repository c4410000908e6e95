-- owner: identity. API tokens issued by the CLI sign-in (OAuth device grant, RFC 8628) are
-- bound to the browser session that approved them and to the role they were approved with.
-- Deleting the session deletes them; a revoked or expired session, or a changed role, makes
-- the principal resolver refuse them. Tokens created through /api/v1/tokens keep both null.
ALTER TABLE "api_tokens" ADD COLUMN "session_id" UUID;
ALTER TABLE "api_tokens" ADD COLUMN "bound_role" "Role";

CREATE INDEX "api_tokens_session_id_idx" ON "api_tokens"("session_id");

ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
