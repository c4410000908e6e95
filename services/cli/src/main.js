// @ts-check
/* global fetch, AbortSignal */
// airlock login | token | logout | help. Messages go to stderr; stdout carries only what a
// caller consumes: the token (`airlock token`, for Claude Code's apiKeyHelper) and, after
// login, the settings snippets.
import { parseArgs } from 'node:util';
import { loadCredentials, removeCredentials, saveCredentials } from './credentials.js';
import { CliError, pollForToken, requestCode } from './device-flow.js';
import { claudeCodeSnippet, codexSnippet, continueSnippet } from './snippets.js';

const USAGE = `Usage:
  airlock login --url https://airlock.example [--org acme]   sign in through your browser
  airlock token                                               print the current API token
  airlock logout                                              revoke the token and forget it
`;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The base URL, normalised. Plain http only to this machine: the token must not cross a
 * network in the clear.
 * @param {string | undefined} value
 */
export function baseUrl(value) {
  if (!value)
    throw new CliError('--url is required (the address of your Airlock, e.g. https://airlock.example)');
  let url;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--url is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new CliError('--url must be https:// (plain http only for localhost)');
  }
  return url.origin;
}

/**
 * @typedef {{ write(chunk: string): unknown }} Out
 * @typedef {{ stdout: Out, stderr: Out, env: NodeJS.ProcessEnv, fetchImpl?: typeof fetch }} Io
 */

/** @param {string[]} argv @param {Io} io @returns {Promise<number>} exit code */
export async function main(argv, io) {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'login':
        return await login(rest, io);
      case 'token':
        return await token(io);
      case 'logout':
        return await logout(io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.stderr.write(`airlock: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (
      e instanceof CliError ||
      (e instanceof TypeError && /** @type {any} */ (e).code?.startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr.write(`airlock: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

/** @param {string[]} args @param {Io} io */
async function login(args, io) {
  const { values } = parseArgs({
    args,
    options: { url: { type: 'string' }, org: { type: 'string' } },
    strict: true,
  });
  const url = baseUrl(values.url);
  const org = values.org ?? null;
  const fetchImpl = io.fetchImpl ?? fetch;
  const code = await requestCode(url, org, fetchImpl);
  io.stderr.write(
    `To sign in, open this page in your browser:\n\n  ${code.verification_uri_complete}\n\n` +
      `and check that it shows the code ${code.user_code}\n` +
      `(or open ${code.verification_uri} and enter the code).\nWaiting for approval…\n`,
  );
  const issued = await pollForToken(url, code, { fetchImpl });
  const previous = await loadCredentials(io.env);
  const expiresAt = new Date(Date.now() + issued.expires_in * 1000).toISOString();
  const file = await saveCredentials(io.env, {
    url,
    org,
    token: issued.access_token,
    tokenId: issued.token_id,
    expiresAt,
  });
  io.stderr.write(
    `Signed in. Token saved to ${file} (valid until ${expiresAt}, or until your browser session ends).\n\n`,
  );
  // The token this login replaces is of no further use: do not leave it alive.
  if (previous && previous.tokenId !== issued.token_id) await revoke(previous, fetchImpl);
  const model = await firstModel(url, issued.access_token, fetchImpl);
  io.stdout.write(`${claudeCodeSnippet(url)}\n${codexSnippet(url, model)}\n${continueSnippet(url, model)}`);
  return 0;
}

/**
 * The first model this member may use, for the Codex snippet; undefined when the gateway does
 * not answer (the snippet then says where to look), since the login itself has succeeded.
 * @param {string} url
 * @param {string} accessToken
 * @param {typeof fetch} fetchImpl
 * @returns {Promise<string | undefined>}
 */
async function firstModel(url, accessToken, fetchImpl) {
  try {
    const res = await fetchImpl(new URL('/v1/models', url), {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    if (!res.ok) return undefined;
    const body = /** @type {{ data?: { id?: unknown }[] }} */ (await res.json());
    const id = body.data?.[0]?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** @param {Io} io */
async function token(io) {
  const credentials = await loadCredentials(io.env);
  if (!credentials) throw new CliError('not signed in: run `airlock login --url <your Airlock>`');
  if (Date.parse(credentials.expiresAt) <= Date.now()) {
    throw new CliError(
      `the token expired at ${credentials.expiresAt}: run \`airlock login --url ${credentials.url}${credentials.org ? ` --org ${credentials.org}` : ''}\``,
    );
  }
  io.stdout.write(`${credentials.token}\n`);
  return 0;
}

/** @param {Io} io */
async function logout(io) {
  const credentials = await loadCredentials(io.env);
  if (!credentials) {
    io.stderr.write('Not signed in.\n');
    return 0;
  }
  const { revoked, reason } = await revoke(credentials, io.fetchImpl ?? fetch);
  await removeCredentials(io.env);
  if (!revoked) {
    io.stderr.write(`Forgot the local token, but could not revoke it at ${credentials.url} (${reason}).\n`);
    return 1;
  }
  io.stderr.write('Signed out: the token is revoked and removed from this machine.\n');
  return 0;
}

/**
 * Revokes a stored token at its server. A 401 counts as done: the token already stopped
 * working (expired, revoked, its session ended).
 * @param {import('./credentials.js').Credentials} credentials
 * @param {typeof fetch} fetchImpl
 * @returns {Promise<{ revoked: boolean, reason: string }>}
 */
async function revoke(credentials, fetchImpl) {
  try {
    const res = await fetchImpl(
      new URL(`/api/v1/tokens/${encodeURIComponent(credentials.tokenId)}`, credentials.url),
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${credentials.token}` },
        signal: AbortSignal.timeout(30_000),
      },
    );
    return { revoked: res.ok || res.status === 401, reason: `HTTP ${res.status}` };
  } catch (e) {
    return { revoked: false, reason: /** @type {Error} */ (e).message };
  }
}
