// A real all-in-one Airlock in this process for the browser journeys: the four modules, the
// demo (development OIDC IdP wired to the demo org, demo model) and the console's built files,
// on a throwaway Postgres database and the shared test Redis.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createLogger, runModules, type RunningServer } from '@airlock/common';
import { createTestDatabase, freePort, serverEnv, type TestDatabase } from '@airlock/common/testing';
import { modulesFor } from '../../../server/src/modules.js';
import { consoleModule } from '../../../server/src/console/module.js';
import { demoModule } from '../../../server/src/demo/module.js';

const ENSURE = path.resolve(import.meta.dirname, '../../../../scripts/ensure-console.sh');

/** The browser loads the built files: (re)build them when missing or older than the sources. */
function ensureConsoleBuilt(): void {
  execFileSync('bash', [ENSURE], { stdio: 'inherit' });
}

export interface Airlock {
  url: string;
  demoPassword: string;
  /** The break-glass platform admin's one-time password (username `admin`). */
  platformPassword: string;
  server: RunningServer;
  stop(): Promise<void>;
}

export async function startAirlock(): Promise<Airlock> {
  ensureConsoleBuilt();
  const database: TestDatabase = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const notes: string[] = [];
  const server = await runModules({
    modules: [...modulesFor('all'), demoModule, consoleModule],
    service: 'all',
    seedDemo: true,
    announce: (lines) => notes.push(...lines),
    logger: createLogger({ level: 'silent', service: 'all' }),
    env: serverEnv(database, {
      PORT: String(port),
      AIRLOCK_PUBLIC_URL: url,
      AIRLOCK_SSO_ALLOW_HTTP_ISSUERS: 'true',
      AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS: 'true',
      // Every journey signs in from 127.0.0.1; the per-IP start limit is not under test here.
      AIRLOCK_SSO_LOGIN_IP_LIMIT: '1000',
    }),
  });
  const demoPassword = /password (\S+)$/m.exec(notes.join('\n'))?.[1];
  const platformPassword = /password: (\S+)$/m.exec(notes.join('\n'))?.[1];
  if (!demoPassword || !platformPassword)
    throw new Error(`the demo did not announce its password: ${notes.join(' | ')}`);
  return {
    url,
    demoPassword,
    platformPassword,
    server,
    async stop() {
      await server.shutdown();
      await database.drop();
    },
  };
}
