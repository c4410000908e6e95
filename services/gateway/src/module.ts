import { notImplementedRouter, type AirlockModule } from '@airlock/common';

/** The gateway service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const gatewayModule: AirlockModule = {
  name: 'gateway',
  routePrefixes: ['/v1'],
  init() {
    return { router: notImplementedRouter('gateway', gatewayModule.routePrefixes) };
  },
};
