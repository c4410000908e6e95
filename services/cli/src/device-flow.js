// @ts-check
/* global fetch, URLSearchParams, AbortSignal, setTimeout */
// The client side of the OAuth 2.0 device authorization grant (RFC 8628) against Airlock:
// ask for a code pair, show it, poll the token endpoint at the interval the server gave,
// raising it by 5 seconds on every slow_down (§3.5), until a token, a refusal or expiry.

export const CLIENT_ID = 'airlock-cli';
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
const SLOW_DOWN_STEP_SECONDS = 5;

/** A failure with a message meant for the person at the terminal. */
export class CliError extends Error {}

/**
 * @typedef {object} DeviceCode
 * @property {string} device_code
 * @property {string} user_code
 * @property {string} verification_uri
 * @property {string} verification_uri_complete
 * @property {number} expires_in
 * @property {number} interval
 */

/**
 * @param {string} url
 * @param {string} path
 * @param {Record<string, string>} form
 * @param {typeof fetch} fetchImpl
 */
async function postForm(url, path, form, fetchImpl) {
  let res;
  try {
    res = await fetchImpl(new URL(path, url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new CliError(`cannot reach ${url}: ${/** @type {Error} */ (e).message}`);
  }
  /** @type {any} */
  let body;
  try {
    body = await res.json();
  } catch {
    throw new CliError(`${url} did not answer like Airlock (HTTP ${res.status}, not JSON)`);
  }
  return { status: res.status, body };
}

/**
 * @param {string} url
 * @param {string | null} org
 * @param {typeof fetch} fetchImpl
 * @returns {Promise<DeviceCode>}
 */
export async function requestCode(url, org, fetchImpl = fetch) {
  const { status, body } = await postForm(
    url,
    '/oauth/device/code',
    { client_id: CLIENT_ID, ...(org ? { org } : {}) },
    fetchImpl,
  );
  if (status !== 200 || typeof body.device_code !== 'string' || typeof body.user_code !== 'string') {
    throw new CliError(`sign-in refused: ${describe(body)}`);
  }
  return body;
}

/** @param {any} body */
function describe(body) {
  if (body && typeof body.error === 'string') {
    return body.error_description ? `${body.error} (${body.error_description})` : body.error;
  }
  if (body && body.error && typeof body.error.message === 'string') return body.error.message;
  return 'unexpected answer';
}

/**
 * Polls until the member answers in the browser. Resolves with the token response.
 * @param {string} url
 * @param {DeviceCode} code
 * @param {{ fetchImpl?: typeof fetch, sleep?: (ms: number) => Promise<void>, now?: () => number }} [options]
 * @returns {Promise<{ access_token: string, expires_in: number, token_id: string }>}
 */
export async function pollForToken(url, code, options = {}) {
  const fetchImpl = options.fetchImpl ?? fetch;
  const sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const now = options.now ?? Date.now;
  const deadline = now() + code.expires_in * 1000;
  let interval = Math.max(1, Number(code.interval) || 5);
  for (;;) {
    await sleep(interval * 1000);
    if (now() >= deadline)
      throw new CliError('the code expired before it was approved; run `airlock login` again');
    const { status, body } = await postForm(
      url,
      '/oauth/token',
      { grant_type: GRANT_TYPE, client_id: CLIENT_ID, device_code: code.device_code },
      fetchImpl,
    );
    if (status === 200 && typeof body.access_token === 'string') return body;
    switch (body?.error) {
      case 'authorization_pending':
      case 'temporarily_unavailable': // a server-side outage: keep trying until the code expires
        continue;
      case 'slow_down':
        // RFC 8628 §3.5: add 5 seconds; a server that names the new interval is believed.
        interval = Math.max(interval + SLOW_DOWN_STEP_SECONDS, Number(body.interval) || 0);
        continue;
      case 'access_denied':
        throw new CliError('the sign-in was denied in the browser');
      case 'expired_token':
        throw new CliError('the code expired before it was approved; run `airlock login` again');
      default:
        throw new CliError(`sign-in failed: ${describe(body)}`);
    }
  }
}
