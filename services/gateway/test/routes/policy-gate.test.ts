import { describe, expect, it } from '@jest/globals';
import { gatewayRouter, MODEL_ROUTES } from '../../src/routes/index.js';
import { POLICY_GATE } from '../../src/routes/policy-gate.js';
import type { GatewayContext } from '../../src/routes/context.js';
import { gatewayConfig } from '../../src/config.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: object }[] };
}

// The router is built without I/O; the context's services are never called here.
const ctx = { config: gatewayConfig(), secureCookies: false } as unknown as GatewayContext;

describe('the gateway router', () => {
  const router = gatewayRouter(ctx);
  const routes = (router.stack as unknown as Layer[]).filter((l) => l.route).map((l) => l.route!);

  it('passes every route through the policy gate, so a new model route cannot skip it', () => {
    expect(routes.length).toBeGreaterThanOrEqual(4);
    for (const route of routes) {
      const gated = route.stack.some(
        (s) => (s.handle as unknown as Record<symbol, unknown>)[POLICY_GATE] === true,
      );
      expect({ path: route.path, gated }).toEqual({ path: route.path, gated: true });
    }
  });

  it('serves exactly the model routes it declares, plus the model list', () => {
    const paths = routes.map((r) => `${Object.keys(r.methods)[0]} ${r.path}`).sort();
    expect(paths).toEqual([...MODEL_ROUTES.map((r) => `post ${r.path}`), 'get /v1/models'].sort());
  });
});
