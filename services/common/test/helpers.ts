// Small builders shared by common's tests.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../src/logger.js';

export const TEST_KEY = randomBytes(32).toString('base64');

/** A logger whose lines the test can read back. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level, service: 'test', destination });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}
