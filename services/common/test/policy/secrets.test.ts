import { describe, expect, it } from '@jest/globals';
import { parseKeyring } from '../../src/crypto/keyring.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { createUpstreamKeyBox } from '../../src/policy/secrets.js';
import { TEST_KEY } from '../helpers.js';

const ORG = '11111111-1111-4111-8111-111111111111';

describe('upstream key box', () => {
  const keyring = parseKeyring(TEST_KEY);
  const box = createUpstreamKeyBox(keyring);

  it('opens what it sealed for the same org and upstream only', () => {
    const sealed = box.seal(ORG, 'openai', 'sk-secret');
    expect(sealed).not.toContain('sk-secret');
    expect(box.open(ORG, 'openai', sealed)).toBe('sk-secret');
    expect(() => box.open(ORG, 'anthropic', sealed)).toThrow();
    expect(() => box.open('22222222-2222-4222-8222-222222222222', 'openai', sealed)).toThrow();
  });

  it('is what the gateway opens: the secret box with the org and upstream as associated data', () => {
    const sealed = box.seal(ORG, 'openai', 'sk-secret');
    expect(createSecretBox(keyring).decrypt(sealed, `org_policies.upstream:${ORG}:openai`)).toBe('sk-secret');
    // Without that binding (another secret's context), it does not open.
    expect(() => createSecretBox(keyring).decrypt(sealed)).toThrow();
  });
});
