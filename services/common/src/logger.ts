import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino blanks before a line is written. Credentials, cookies and anything that may
 * carry prompt or completion text never reach a log. Code should not log such fields at
 * all; this is the net under that rule. Top level and one level down.
 */
const SENSITIVE_KEYS = [
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

const plain = (key: string): boolean => /^\w+$/.test(key);

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SENSITIVE_KEYS.map((k) => (plain(k) ? k : `["${k}"]`)),
  ...SENSITIVE_KEYS.map((k) => (plain(k) ? `*.${k}` : `*["${k}"]`)),
];

export interface LoggerSettings {
  level: LoggerOptions['level'];
  service: string;
  /** Where lines go; tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

export function createLogger({ level, service, destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
