import { describe, expect, it } from '@jest/globals';
import { globMatches, resolveModelAlias } from '../../src/policy/aliases.js';
import { validatePolicy } from '../../src/policy/schema.js';

const ALIASES = {
  'claude-*': 'qwen3-coder-30b',
  'claude-opus-*': 'qwen3-coder-480b',
  'claude-opus-4-1': 'llama-3.3-70b',
  opus: 'qwen3-coder-480b',
  sonnet: 'qwen3-coder-30b',
  haiku: 'qwen3-4b',
  'gpt-5*': 'gpt-oss-120b',
  'gpt-5*-mini': 'gpt-oss-20b',
};

describe('model aliases', () => {
  it('maps the names Claude Code and Codex send to on-prem models', () => {
    expect(resolveModelAlias(ALIASES, 'claude-sonnet-4-5')).toBe('qwen3-coder-30b');
    expect(resolveModelAlias(ALIASES, 'haiku')).toBe('qwen3-4b');
    expect(resolveModelAlias(ALIASES, 'gpt-5.5')).toBe('gpt-oss-120b');
    expect(resolveModelAlias(ALIASES, 'gpt-5-codex')).toBe('gpt-oss-120b');
  });

  it('prefers an exact name to any pattern that also matches', () => {
    expect(resolveModelAlias(ALIASES, 'claude-opus-4-1')).toBe('llama-3.3-70b');
    expect(resolveModelAlias({ '*': 'catch-all', opus: 'big' }, 'opus')).toBe('big');
  });

  it('prefers the longest matching pattern', () => {
    expect(resolveModelAlias(ALIASES, 'claude-opus-4-5')).toBe('qwen3-coder-480b'); // claude-opus-* over claude-*
    expect(resolveModelAlias(ALIASES, 'gpt-5.1-mini')).toBe('gpt-oss-20b'); // gpt-5*-mini over gpt-5*
  });

  it('breaks a tie in length by fewer wildcards, then by name, whatever the key order', () => {
    const one = { 'ab*d': 'x', 'a*cd': 'y', 'a**d': 'z' };
    const two = { 'a**d': 'z', 'a*cd': 'y', 'ab*d': 'x' };
    expect(resolveModelAlias(one, 'abcd')).toBe('y'); // a*cd < ab*d; a**d has two wildcards
    expect(resolveModelAlias(two, 'abcd')).toBe('y');
  });

  it('leaves a name no alias matches alone', () => {
    expect(resolveModelAlias(ALIASES, 'llama-3')).toBeUndefined();
    expect(resolveModelAlias(ALIASES, 'gpt-4o')).toBeUndefined();
    expect(resolveModelAlias({}, 'claude-sonnet-4-5')).toBeUndefined();
  });

  it('matches globs on the whole name, as the allow list does', () => {
    expect(globMatches('gpt-5*', 'gpt-5')).toBe(true);
    expect(globMatches('gpt-5*', 'xgpt-5')).toBe(false);
    expect(globMatches('*-mini', 'gpt-5-mini')).toBe(true);
    expect(globMatches('a*a', 'a')).toBe(false);
    expect(globMatches('a*b*c', 'a-c-b-c')).toBe(true);
    expect(globMatches('a*b*c', 'a-c-c')).toBe(false);
    expect(globMatches('claude.*', 'claudeX1')).toBe(false); // a dot is a dot
  });

  it('is part of the policy: globs as keys, plain model names as targets', () => {
    const ok = validatePolicy({ models: { aliases: ALIASES } });
    expect(ok.ok && ok.policy.models.aliases).toEqual(ALIASES);
    const none = validatePolicy({});
    expect(none.ok && none.policy.models.aliases).toEqual({});
    const bad = validatePolicy({ models: { aliases: { 'claude-*': 'qwen-*', 'bad name': 'x' } } });
    expect(bad.ok ? [] : bad.problems.map((p) => p.path).sort()).toEqual([
      '$.models.aliases.bad name',
      '$.models.aliases.claude-*',
    ]);
  });
});
