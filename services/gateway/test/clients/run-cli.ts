// Runs a coding agent's real binary, installed from the npm registry as a root
// devDependency, with only the environment the test gives it (no inherited HOME, tokens
// or proxies from the machine), and collects what it printed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../../..');

/**
 * Claude Code's native binary, from its platform package (an optionalDependency, so
 * `npm ci` brings the one for this machine). The wrapper's bin/claude.exe becomes the same
 * file only through its postinstall script, which an install may skip: the platform
 * package does not depend on it.
 */
export function claudeBinary(): string {
  const file = path.join(ROOT, 'node_modules/@anthropic-ai', `claude-code-${platformTag()}`, 'claude');
  if (!existsSync(file)) throw new Error(`no Claude Code binary for ${platformTag()} at ${file}: run npm ci`);
  return file;
}

/** Codex: its launcher (plain Node) finds the native binary of the platform package itself. */
export function codexLauncher(): string[] {
  return [process.execPath, path.join(ROOT, 'node_modules/@openai/codex/bin/codex.js')];
}

/** Continue's CLI (`cn`): one bundled Node script, no native part; `nodeArgs` go to its Node. */
export function continueLauncher(nodeArgs: readonly string[] = []): string[] {
  return [process.execPath, ...nodeArgs, path.join(ROOT, 'node_modules/@continuedev/cli/dist/cn.js')];
}

/** The suffix of the platform packages: linux-x64, linux-x64-musl, darwin-arm64… */
function platformTag(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const musl = process.platform === 'linux' && !report?.header?.glibcVersionRuntime;
  return `${process.platform}-${process.arch}${musl ? '-musl' : ''}`;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns argv with exactly `env` (PATH added), in `cwd`, stdin closed; kills it after `timeoutMs`. */
export function runCli(
  argv: string[],
  options: { env: Record<string, string>; cwd: string; timeoutMs: number },
): Promise<CliRun> {
  const [command, ...args] = argv;
  const child = spawn(command!, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
