import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { configReference } from '../src/config-reference.js';

describe('docs/configuration.md', () => {
  it('matches the config schemas (regenerate with `npm run docs:config`)', () => {
    const committed = readFileSync(
      path.resolve(import.meta.dirname, '../../../docs/configuration.md'),
      'utf8',
    );
    expect(committed).toBe(configReference());
  });

  it('documents every base setting with a meaning', () => {
    const doc = configReference();
    for (const name of [
      'DATABASE_URL',
      'REDIS_URL',
      'AIRLOCK_ENCRYPTION_KEY',
      'PORT',
      'AIRLOCK_TRUSTED_PROXIES',
    ]) {
      expect(doc).toMatch(new RegExp(`\\| \`${name}\` \\|[^\\n]*\\| [a-zA-Z][^|]+ \\|\\n`));
    }
  });
});
