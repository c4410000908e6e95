// A real pino logger whose output the test reads back: to assert what is logged and, above
// all, that no secret (token, cookie, key, prompt text) ever is.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../src/logger.js';

export interface CapturedLogger {
  logger: Logger;
  /** Every line written so far, oldest first. */
  lines(): string[];
  /** Everything written so far as one string (for `not.toContain(secret)`). */
  text(): string;
}

export function captureLogger(options: { level?: string; service?: string } = {}): CapturedLogger {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({
    level: options.level ?? 'debug',
    service: options.service ?? 'test',
    destination,
  });
  const text = () => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter(Boolean) };
}
