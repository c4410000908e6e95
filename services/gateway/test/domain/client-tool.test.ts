// Rule: the calling tool is named from the User-Agent, the same answer every time, whether
// the answer was remembered or (past the cache's cap) matched again.
import { describe, expect, it } from '@jest/globals';
import { clientToolOf } from '../../src/domain/client-tool.js';

const known: [string, string][] = [
  ['claude-cli/1.0.3 (external, cli)', 'claude-code'],
  ['codex_cli_rs/0.1', 'codex'],
  ['Anthropic/JS 0.30.0', 'anthropic-sdk'],
  ['OpenAI/Python 1.40.0', 'openai-sdk'],
  ['curl/8.5.0', 'curl'],
  ['python-httpx/0.27', 'python'],
  ['node', 'node'],
  ['Mozilla/5.0', 'other'],
];

describe('client tool', () => {
  it('names the tool from the User-Agent, the same on every call', () => {
    for (let round = 0; round < 3; round++) {
      for (const [ua, tool] of known) expect(clientToolOf(ua)).toBe(tool);
    }
    expect(clientToolOf(undefined)).toBeUndefined();
    expect(clientToolOf('')).toBeUndefined();
  });

  it('answers the same past the cache cap and for very long User-Agents', () => {
    for (let i = 0; i < 600; i++) expect(clientToolOf(`curl/${i}`)).toBe('curl');
    for (let i = 0; i < 600; i++) expect(clientToolOf(`Mozilla/${i} Continue/1.0`)).toBe('continue');
    const long = `${'x'.repeat(600)} claude-code`;
    expect(clientToolOf(long)).toBe('claude-code');
    expect(clientToolOf(long)).toBe('claude-code');
    for (const [ua, tool] of known) expect(clientToolOf(ua)).toBe(tool);
  });
});
