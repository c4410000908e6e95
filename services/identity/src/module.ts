import { notImplementedRouter, type AirlockModule } from '@airlock/common';
import { ensurePlatformAdmin, PLATFORM_ADMIN_USERNAME } from './store/platform-admin.js';

/** The identity service as a module: routes, config and lifecycle (see common/lifecycle/module.ts). */
export const identityModule: AirlockModule = {
  name: 'identity',
  routePrefixes: ['/auth', '/api/v1/me', '/api/v1/tokens', '/api/v1/sso', '/scim/v2'],
  init({ db }) {
    return {
      router: notImplementedRouter('identity', identityModule.routePrefixes),
      async seedDemo() {
        const password = await ensurePlatformAdmin(db);
        if (!password) return [];
        return [
          'Break-glass platform admin created. Shown once; store it now:',
          `  username: ${PLATFORM_ADMIN_USERNAME}`,
          `  password: ${password}`,
          'TOTP enrolment is required at first sign-in.',
        ];
      },
    };
  },
};
