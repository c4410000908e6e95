// What every log line is stripped of before it is written: credentials, cookies and anything
// that may carry prompt or completion text. Code should not log such fields at all; this is
// the net under that rule, applied by createLogger to every call's fields and every child
// logger's bindings.
//
// Written here rather than through pino's `redact` paths: with a wildcard path (`*.token`),
// pino runs its redactor on every field of every line, and that redactor parses each path
// again per call: about ten times the cost of the line itself (docs/performance.md, fifth
// pass). This does the same blanking with one pass over the keys and copies
// an object only when something in it is blanked.

export const REDACTED = '[redacted]';

/** Keys blanked at the top level and one level down, in any object (case as written). */
export const SENSITIVE_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'api_key',
  'clientSecret',
  'privateKey',
  'totp',
  'SAMLResponse',
  'assertion',
  'messages',
  'prompt',
  'input',
  'content',
  'completion',
  'body',
];

const SENSITIVE = new Set(SENSITIVE_KEYS);

type Replace = (key: string, value: unknown) => unknown;

const isObject = (v: unknown): v is object => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `value` with each key replaced as `replace` says: the same object when nothing changes,
 * otherwise a copy with the same prototype and properties (an Error stays an Error, so pino's
 * error serializer still gives its type, message and stack).
 */
function replaceKeys<T extends object>(value: T, replace: Replace): T {
  let copy: T | undefined;
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    const next = replace(key, v);
    if (next === v) continue;
    copy ??= Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value)) as T;
    Object.defineProperty(copy, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}

const blankSensitive: Replace = (key, v) => (v !== undefined && SENSITIVE.has(key) ? REDACTED : v);

/** One level down in a logged `req` or `res`: the sensitive keys, and its headers named here. */
function withHeaders(names: readonly string[]): Replace {
  const headers = new Set(names);
  const blankHeader: Replace = (h, v) => (v !== undefined && headers.has(h) ? REDACTED : v);
  return (key, v) =>
    key === 'headers' && isObject(v) ? replaceKeys(v, blankHeader) : blankSensitive(key, v);
}

/** How the keys one level down are replaced, by the top-level key holding them. */
const NESTED = new Map<string, Replace>([
  ['req', withHeaders(['authorization', 'cookie', 'x-api-key'])],
  ['res', withHeaders(['set-cookie'])],
]);

function topLevel(key: string, v: unknown): unknown {
  if (v === undefined) return v;
  if (SENSITIVE.has(key)) return REDACTED;
  return isObject(v) ? replaceKeys(v, NESTED.get(key) ?? blankSensitive) : v;
}

/** A log call's fields (or a child's bindings) with every sensitive value blanked. */
export function redactLogFields<T extends object>(fields: T): T {
  return replaceKeys(fields, topLevel);
}
