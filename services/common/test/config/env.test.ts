import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { envBoolean, envInt, envList } from '../../src/config/env.js';

const schema = z.object({
  FLAG: envBoolean().default(false),
  NAMES: envList().default([]),
  HOSTS: envList({ lowerCase: true }).default([]),
  TIMEOUT_MS: envInt(10, 1_000).default(100),
});
const parse = (env: Record<string, string>) => parseConfig(schema, env);

/** The message of the ConfigError `fn` throws ('' when it throws none). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
}

describe('env helpers (one reading of a setting for every service)', () => {
  it('reads true/1/yes as true and false/0/no as false', () => {
    for (const v of ['true', '1', 'yes']) expect(parse({ FLAG: v }).FLAG).toBe(true);
    for (const v of ['false', '0', 'no']) expect(parse({ FLAG: v }).FLAG).toBe(false);
  });

  it('refuses any other boolean text instead of reading it as false', () => {
    expect(() => parse({ FLAG: 'off' })).toThrow(
      new ConfigError('invalid config: FLAG: must be true or false'),
    );
  });

  it('splits a comma list, trimming entries and dropping empty ones; lower-cases on request', () => {
    const c = parse({ NAMES: ' Alpha, beta,, ', HOSTS: 'VLLM.Models.svc, 10.0.0.0/8' });
    expect(c.NAMES).toEqual(['Alpha', 'beta']);
    expect(c.HOSTS).toEqual(['vllm.models.svc', '10.0.0.0/8']);
  });

  it('takes a whole number within its range and refuses fractions and values outside it', () => {
    expect(parse({ TIMEOUT_MS: '250' }).TIMEOUT_MS).toBe(250);
    expect(parse({}).TIMEOUT_MS).toBe(100);
    for (const v of ['9', '1001', '12.5', 'soon']) {
      expect({ v, error: errorOf(() => parse({ TIMEOUT_MS: v })) }).toEqual({
        v,
        error: expect.stringMatching(/^invalid config: TIMEOUT_MS: /),
      });
    }
  });
});
