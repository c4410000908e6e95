import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { REDACTED, SENSITIVE_KEYS } from '../src/log-redaction.js';
import { captureLogger } from '../testing/logger.js';

/** pino's own path redaction with the paths createLogger used to give it: the reference. */
function referenceLogger(): { logger: pino.Logger; lines: () => string[] } {
  const plain = (key: string): boolean => /^\w+$/.test(key);
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = pino(
    {
      level: 'debug',
      base: { service: 'test' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          ...SENSITIVE_KEYS.map((k) => (plain(k) ? k : `["${k}"]`)),
          ...SENSITIVE_KEYS.map((k) => (plain(k) ? `*.${k}` : `*["${k}"]`)),
        ],
        censor: REDACTED,
      },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: false,
    },
    destination,
  );
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

/** A line without its time (the two loggers write it at different instants). */
const untimed = (line: string): unknown => {
  const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
};

class UpstreamError extends Error {
  constructor(
    message: string,
    readonly token: string,
    readonly status: number,
  ) {
    super(message);
  }
}

describe('logger redaction', () => {
  it('blanks credentials and prompt fields at the top level and one level down', () => {
    const { logger, lines } = captureLogger();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer al_secret1', cookie: 'airlock_session=abc123' } },
        password: 'hunter2',
        token: 'al_secret2',
        upstream: { apiKey: 'sk-secret3', name: 'vllm' },
        request: { messages: [{ role: 'user', content: 'CANARY-PROMPT' }], prompt: 'CANARY-2' },
        'set-cookie': 'airlock_session=xyz789',
      },
      'hello',
    );
    const line = lines().join('\n');
    for (const secret of [
      'al_secret1',
      'abc123',
      'hunter2',
      'al_secret2',
      'sk-secret3',
      'CANARY',
      'xyz789',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('"name":"vllm"');
    expect(line).toContain('[redacted]');
  });

  it('blanks every sensitive key, at the top level, one level down and in an error', () => {
    for (const key of SENSITIVE_KEYS) {
      const { logger, lines } = captureLogger();
      const err = Object.assign(new Error('upstream refused'), { [key]: 'CANARY-ERR', code: 'E1' });
      logger.warn({ [key]: 'CANARY-TOP', nested: { [key]: 'CANARY-NESTED', kept: 1 }, err }, 'x');
      const entry = JSON.parse(lines()[0]!) as Record<string, Record<string, unknown>>;
      expect(lines()[0]).not.toContain('CANARY');
      expect(entry[key]).toBe(REDACTED);
      expect(entry.nested).toEqual({ [key]: REDACTED, kept: 1 });
      // Still serialised as an error: type, message and stack, the other fields kept.
      expect(entry.err).toMatchObject({
        type: 'Error',
        message: 'upstream refused',
        code: 'E1',
        [key]: REDACTED,
      });
      expect(entry.err!.stack).toContain('upstream refused');
    }
  });

  it('blanks the same fields in child bindings', () => {
    const { logger, lines } = captureLogger();
    const child = logger.child({ token: 'CANARY-1', upstream: { apiKey: 'CANARY-2', name: 'vllm' } });
    child.info({ path: '/v1/models' }, 'request');
    child.child({ secret: 'CANARY-3' }).info('grandchild');
    const set = logger.child({ org: 'o1' });
    set.setBindings({ password: 'CANARY-4' });
    set.info('rebound');
    expect(lines().join('\n')).not.toContain('CANARY');
    const [first, second, third] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      token: REDACTED,
      upstream: { apiKey: REDACTED, name: 'vllm' },
      path: '/v1/models',
    });
    expect(second).toMatchObject({ token: REDACTED, secret: REDACTED, msg: 'grandchild' });
    expect(third).toMatchObject({ password: REDACTED, msg: 'rebound' });
  });

  it('leaves the caller’s objects as they were', () => {
    const { logger } = captureLogger();
    const upstream = { apiKey: 'sk-1', name: 'vllm' };
    const req = { headers: { authorization: 'Bearer al_1', accept: '*/*' } };
    const err = new UpstreamError('boom', 'al_2', 502);
    logger.error({ upstream, req, err }, 'failed');
    expect(upstream).toEqual({ apiKey: 'sk-1', name: 'vllm' });
    expect(req.headers.authorization).toBe('Bearer al_1');
    expect(err.token).toBe('al_2');
  });

  it('writes what pino’s own path redaction wrote, line for line', () => {
    const ours = captureLogger();
    const reference = referenceLogger();
    const cases: [Record<string, unknown>, string][] = [
      [{ requestId: 'r1', method: 'POST', path: '/v1/chat/completions', status: 200, ms: 1.25 }, 'request'],
      [{ requestId: 'r2', status: 429, sampled: 100 }, 'request'],
      [{ token: 'al_x', tokenId: 't1', password: 7, secret: true, body: null }, 'mixed types'],
      [
        {
          req: {
            method: 'GET',
            headers: { authorization: 'Bearer a', cookie: 'c=1', 'x-api-key': 'k', accept: 'json' },
          },
        },
        'req',
      ],
      [{ res: { statusCode: 200, headers: { 'set-cookie': ['s=1'], 'content-type': 'json' } } }, 'res'],
      [
        { upstream: { name: 'vllm', apiKey: 'sk', baseUrl: 'http://x' }, list: [{ token: 'in-array' }] },
        'nested',
      ],
      [{ deep: { inner: { token: 'two-levels-down' } }, input: ['a', 'b'], content: { text: 'x' } }, 'deep'],
      [{ err: new UpstreamError('refused', 'al_err', 503), requestId: 'r3' }, 'request failed'],
      [{ err: Object.assign(new TypeError('bad'), { body: '{"messages":[]}', status: 400 }) }, 'parse'],
      [{ at: new Date(0), n: Number.NaN, missing: undefined }, 'values'],
      [{}, 'no fields'],
    ];
    for (const [fields, msg] of cases) {
      ours.logger.info(fields, msg);
      reference.logger.info(fields, msg);
    }
    ours.logger.child({ token: 'b', org: { id: 'o1', secret: 's' } }).warn({ ok: 1 }, 'child');
    reference.logger.child({ token: 'b', org: { id: 'o1', secret: 's' } }).warn({ ok: 1 }, 'child');
    expect(ours.lines().map(untimed)).toEqual(reference.lines().map(untimed));
  });

  it('writes JSON lines with level names and the service', () => {
    const { logger, lines } = captureLogger();
    logger.warn('careful');
    const entry = JSON.parse(lines()[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'warn', service: 'test', msg: 'careful' });
  });
});
