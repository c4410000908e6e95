// The DEMO model for the all-in-one trial: a tiny upstream speaking the OpenAI wire format
// (GET /v1/models, POST /v1/chat/completions as JSON or SSE) so a first call answers without
// any model installed. It answers a fixed sentence; it is not a language model.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';

export const DEMO_UPSTREAM_PATH = '/demo-upstream/v1';
export const DEMO_MODEL = 'airlock-demo';

const ANSWER =
  'Hello from the Airlock demo model. This is a canned reply: point your policy at a real model next.';

export function demoUpstreamRouter(): Router {
  const router = Router();
  router.get(`${DEMO_UPSTREAM_PATH}/models`, (_req, res) => {
    res.json({
      object: 'list',
      data: [{ id: DEMO_MODEL, object: 'model', created: 0, owned_by: 'airlock-demo' }],
    });
  });
  router.post(`${DEMO_UPSTREAM_PATH}/chat/completions`, (req, res) => {
    const body = (req.body ?? {}) as { model?: unknown; stream?: unknown };
    const model = typeof body.model === 'string' ? body.model : DEMO_MODEL;
    const id = `chatcmpl-demo-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: 1,
      completion_tokens: ANSWER.split(' ').length,
      total_tokens: 1 + ANSWER.split(' ').length,
    };
    if (body.stream !== true) {
      res.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
        usage,
      });
      return;
    }
    res.status(200).setHeader('Content-Type', 'text/event-stream').setHeader('Cache-Control', 'no-cache');
    const chunk = (delta: object, finish: string | null, extra: object = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`,
      );
    chunk({ role: 'assistant', content: '' }, null);
    for (const word of ANSWER.split(/(?<= )/)) chunk({ content: word }, null);
    chunk({}, 'stop', { usage });
    res.end('data: [DONE]\n\n');
  });
  return router;
}
