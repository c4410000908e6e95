// The entry point every binary shares: `<main> [migrate]`. Bad config prints one line and
// exits 1; anything else that stops start-up is logged and exits 1.
import { ConfigError } from '../config/load.js';
import { migratePostgres } from '../db/client.js';
import { createLogger } from '../logger.js';
import { exitOnSignals, runModules, type RunOptions } from './run.js';
import { loadBaseConfig } from './runtime.js';

type MainOptions = Omit<RunOptions, 'env' | 'logger' | 'announce'> & { argv?: readonly string[] };

function fail(e: unknown): never {
  if (e instanceof ConfigError) {
    process.stderr.write(`airlock: ${e.message}\n`);
  } else {
    process.stderr.write(`airlock: start-up failed: ${(e as Error)?.stack ?? String(e)}\n`);
  }
  process.exit(1);
}

/** Prints one-time notes (demo credentials) to the terminal, outside the structured log. */
function announce(lines: string[]): void {
  const bar = '─'.repeat(72);
  process.stdout.write(`\n${bar}\n${lines.map((l) => `  ${l}`).join('\n')}\n${bar}\n\n`);
}

export async function main(options: MainOptions): Promise<void> {
  const argv = options.argv ?? process.argv.slice(2);
  try {
    if (argv.includes('migrate')) {
      await migrate();
      return;
    }
    const server = await runModules({ ...options, env: process.env, announce });
    exitOnSignals(server);
  } catch (e) {
    fail(e);
  }
}

/** Applies pending migrations to DATABASE_URL, waiting for the server to come up. */
async function migrate(): Promise<void> {
  const config = loadBaseConfig(process.env);
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'migrate' });
  if (!config.DATABASE_URL) throw new ConfigError('invalid config: DATABASE_URL: is required to migrate');
  const applied = await migratePostgres(config.DATABASE_URL, {
    waitSeconds: config.AIRLOCK_DB_WAIT_SECONDS,
    onWait: (e) => logger.warn({ err: e.message }, 'database not reachable yet; waiting'),
  });
  logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
}
