import { Router } from 'express';
import type { AirlockModule } from '../../src/lifecycle/module.js';

/** A module with one slow route, to watch in-flight requests across a shutdown. */
export function slowModule(events: string[] = []): AirlockModule {
  return {
    name: 'rbac',
    routePrefixes: ['/slow'],
    init() {
      const router = Router();
      router.get('/slow', async (req, res) => {
        await new Promise((r) => setTimeout(r, Number(req.query.ms ?? 300)));
        res.json({ done: true });
      });
      return {
        router,
        async start() {
          events.push('start');
        },
        async stop() {
          events.push('stop');
        },
      };
    },
  };
}
