-- owner: audit. The usage overview (GET /api/v1/audit/stats) of a member or viewer reads only
-- their own ai.request events: without this index it would walk every ai.request event of the
-- org in the window ((org_id, action, time)) and drop the others' rows one by one.
CREATE INDEX "audit_events_ai_request_actor_time_idx" ON "audit_events"("org_id", "actor_id", "time")
  WHERE "action" = 'ai.request';
