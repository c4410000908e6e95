import { Router } from 'express';
import type { AirlockModule } from '../../src/lifecycle/module.js';

/**
 * What the /slow route has seen. A test waits for `arrived` instead of guessing how long a
 * request takes to reach the handler; `/slow?hold` answers only once release() is called, so
 * a request stays in flight exactly as long as the test needs.
 */
export interface SlowRequests {
  arrived: number;
  answered: number;
  release(): void;
}

export function slowRequests(): SlowRequests & { released: Promise<void> } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  return { arrived: 0, answered: 0, release, released };
}

/** A module with one slow route, to watch in-flight requests across a shutdown. */
export function slowModule(events: string[] = [], requests = slowRequests()): AirlockModule {
  return {
    name: 'rbac',
    routePrefixes: ['/slow'],
    init() {
      const router = Router();
      router.get('/slow', async (req, res) => {
        requests.arrived++;
        if (req.query.hold !== undefined) await requests.released;
        else await new Promise((r) => setTimeout(r, Number(req.query.ms ?? 300)));
        requests.answered++;
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
