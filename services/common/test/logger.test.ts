import { describe, expect, it } from '@jest/globals';
import { captureLogger } from '../testing/logger.js';

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

  it('writes JSON lines with level names and the service', () => {
    const { logger, lines } = captureLogger();
    logger.warn('careful');
    const entry = JSON.parse(lines()[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'warn', service: 'test', msg: 'careful' });
  });
});
