// Small builders shared by common's tests.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';

export const TEST_KEY = randomBytes(32).toString('base64');

const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface FixtureRun {
  /** Arguments after the fixture's path. */
  args?: string[];
  /** Node and V8 flags, before the TypeScript loader. */
  nodeArgs?: string[];
  /** The child's whole environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a TypeScript fixture from source in a process of its own, for what is per process
 * (which modules are loaded, V8's flags); resolves with its standard output.
 */
export async function runFixture(
  fixture: string,
  { args = [], nodeArgs = [], env = process.env }: FixtureRun = {},
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', '--conditions=@airlock/source', fixture, ...args],
    { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}
