// @ts-check
// Where the CLI keeps its token: ~/.config/airlock/credentials.json ($XDG_CONFIG_HOME is
// honoured), readable by the user only (file 0600 in a 0700 directory). Written to a fresh
// temporary file and renamed, so the file is never briefly readable by others or half written.
import { mkdir, open, readFile, rename, rm, chmod } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * @typedef {object} Credentials
 * @property {string} url       the Airlock base URL signed in to
 * @property {string | null} org the org slug asked for, if any
 * @property {string} token     the API token (al_…)
 * @property {string} tokenId   its id, for `airlock logout`
 * @property {string} expiresAt ISO time the token stops working at the latest
 */

/** @param {NodeJS.ProcessEnv} env */
export function credentialsPath(env) {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'airlock', 'credentials.json');
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {Credentials} credentials
 */
export async function saveCredentials(env, credentials) {
  const file = credentialsPath(env);
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const temp = path.join(dir, `.credentials-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(credentials, null, 2)}\n`);
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  return file;
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<Credentials | null>} null when there is no (readable, well-formed) file
 */
export async function loadCredentials(env) {
  let raw;
  try {
    raw = await readFile(credentialsPath(env), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(raw);
    if (
      parsed &&
      typeof parsed.url === 'string' &&
      typeof parsed.token === 'string' &&
      typeof parsed.tokenId === 'string' &&
      typeof parsed.expiresAt === 'string'
    ) {
      return parsed;
    }
  } catch {
    // fall through: a damaged file counts as no sign-in
  }
  return null;
}

/** @param {NodeJS.ProcessEnv} env */
export async function removeCredentials(env) {
  await rm(credentialsPath(env), { force: true });
}
