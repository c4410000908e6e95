// The all-in-one trial (`npm start` outside production): a DEVELOPMENT OpenID provider and a
// DEMO model in this process, and the demo org wired to them through a real OIDC connection
// (group -> role, owner included). AIRLOCK_DEMO=true with NODE_ENV=production is refused at
// start-up; in production the demo is otherwise off.
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import {
  createSecretBox,
  envBoolean,
  validatePolicy,
  type AirlockModule,
  type Prisma,
} from '@airlock/common';
import { insertConnection } from '@airlock/identity';
import { DEMO_MODEL, DEMO_UPSTREAM_PATH, demoUpstreamRouter } from './demo-upstream.js';
import { probeOllama } from './local-ollama.js';

const DEMO_ORG_SLUG = 'demo';
const CONNECTION_NAME = 'Development IdP (demo)';

export const demoConfigSchema = z
  .object({
    NODE_ENV: z.string().optional(),
    AIRLOCK_DEMO: envBoolean().optional(),
    AIRLOCK_DEMO_OLLAMA_URL: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .default('http://127.0.0.1:11434'),
  })
  .transform((env) => ({
    production: env.NODE_ENV === 'production',
    ollamaUrl: env.AIRLOCK_DEMO_OLLAMA_URL.replace(/\/$/, ''),
    enabled: env.AIRLOCK_DEMO ?? env.NODE_ENV !== 'production',
  }))
  .refine((c) => !(c.enabled && c.production), {
    path: ['AIRLOCK_DEMO'],
    message: 'the demo (development IdP, demo model) is refused when NODE_ENV=production',
  });

export type DemoConfig = z.output<typeof demoConfigSchema>;

export const demoModule: AirlockModule<DemoConfig> = {
  name: 'demo',
  routePrefixes: ['/dev-idp', '/demo-upstream'],
  configSchema: demoConfigSchema,
  async init(deps) {
    const settings = deps.moduleConfig;
    if (!settings.enabled) return { router: Router() };
    const publicUrl = deps.config.AIRLOCK_PUBLIC_URL.replace(/\/$/, '');
    // Loaded only when the demo runs: oidc-provider warns at import on Node 20.
    const { createDevIdp, DEMO_USERS } = await import('./dev-idp.js');
    const password = randomBytes(9).toString('base64url');
    const idp = createDevIdp({ publicUrl, password });
    const router = Router();
    router.use(idp.router);
    router.use(demoUpstreamRouter());
    const upstreamUrl = `http://127.0.0.1:${deps.config.PORT}${DEMO_UPSTREAM_PATH}`;
    return {
      router,
      async seedDemo() {
        const org = await deps.db.system.org.findUnique({ where: { slug: DEMO_ORG_SLUG } });
        if (!org) return [];
        const ollama = await probeOllama(settings.ollamaUrl);
        await wireDemoOrg(
          deps,
          org.id,
          idp.issuer,
          upstreamUrl,
          ollama && { url: settings.ollamaUrl, models: ollama },
        );
        return [
          '*** DEMO MODE (not for production): development IdP at ' +
            idp.issuer +
            ', demo model "' +
            DEMO_MODEL +
            '" ***',
          `1. Sign in: ${publicUrl}/ (the console, org ${DEMO_ORG_SLUG}) or ${publicUrl}/auth/login?org=${DEMO_ORG_SLUG} as ${DEMO_USERS[0].email} (also admin@, member@, viewer@example.com), password ${password}`,
          `2. Create a token: curl -X POST ${publicUrl}/api/v1/tokens -H 'cookie: <session>' -H 'content-type: application/json' -d '{"name":"first"}'  (or on the console's Tokens page)`,
          `3. First call: curl ${publicUrl}/v1/chat/completions -H 'authorization: Bearer <token>' -d '{"model":"${DEMO_MODEL}","messages":[{"role":"user","content":"hi"}]}'  — OpenAI SDK: baseURL "${publicUrl}/v1"`,
          ...(ollama ? [`   Local Ollama at ${settings.ollamaUrl}: also offering ${ollama.join(', ')}`] : []),
        ];
      },
    };
  },
};

async function wireDemoOrg(
  deps: Parameters<AirlockModule<DemoConfig>['init']>[0],
  orgId: string,
  issuer: string,
  upstreamUrl: string,
  ollama: { url: string; models: string[] } | null,
): Promise<void> {
  const { DEMO_GROUP_ROLES, DEV_IDP_CLIENT_ID } = await import('./dev-idp.js');
  const existing = await deps.db
    .forOrg(orgId)
    .ssoConnection.findFirst({ where: { orgId, name: CONNECTION_NAME } });
  if (existing) {
    // The issuer follows AIRLOCK_PUBLIC_URL, which may change between starts.
    await deps.db.forOrg(orgId).ssoConnection.update({
      where: { id: existing.id },
      data: { config: { ...(existing.config as object), issuer } },
    });
  } else {
    await insertConnection(deps.db, createSecretBox(deps.keyring), {
      orgId,
      protocol: 'oidc',
      name: CONNECTION_NAME,
      config: {
        issuer,
        clientId: DEV_IDP_CLIENT_ID,
        scopes: ['openid', 'email', 'profile', 'groups'],
        groupsClaim: 'groups',
      },
      secret: null,
      groupRoleMap: { ...DEMO_GROUP_ROLES },
      defaultRole: 'viewer',
    });
  }
  const current = await deps.db
    .forOrg(orgId)
    .orgPolicy.findFirst({ where: { orgId }, orderBy: { version: 'desc' } });
  const document = (current?.document ?? {}) as { upstreams?: { name: string }[] };
  // The demo owns two upstreams of the demo org: its model, and the local Ollama with the
  // models it has now (none when it did not answer). Everything else in the policy is kept.
  const managed = [
    {
      name: 'airlock-demo',
      baseUrl: upstreamUrl,
      kind: 'onprem',
      provider: 'openai-compatible',
      models: [DEMO_MODEL],
    },
    ...(ollama
      ? [
          {
            name: 'ollama',
            baseUrl: `${ollama.url}/v1`,
            kind: 'onprem',
            provider: 'ollama',
            models: ollama.models,
          },
        ]
      : []),
  ];
  const others = (document.upstreams ?? []).filter((u) => u.name !== 'airlock-demo' && u.name !== 'ollama');
  const upstreams = [...managed, ...others];
  const before = validatePolicy(document);
  const checked = validatePolicy({ ...document, upstreams });
  // Unchanged since the last start: no new policy version.
  if (before.ok && checked.ok && JSON.stringify(before.policy) === JSON.stringify(checked.policy)) return;
  if (!checked.ok) throw new Error(`demo policy is invalid: ${JSON.stringify(checked.problems)}`);
  await deps.db.forOrg(orgId).orgPolicy.create({
    data: {
      orgId,
      version: (current?.version ?? 0) + 1,
      document: checked.policy as unknown as Prisma.InputJsonValue,
      comment: ollama
        ? 'demo: the built-in demo model and the local Ollama'
        : 'demo: the built-in demo model',
    },
  });
}
