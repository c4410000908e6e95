import { describe, expect, it } from '@jest/globals';
import { helmTemplate } from './helm.js';

const base = ['charts/airlock/ci/default-values.yaml'];

describe('values.schema.json', () => {
  it('rejects a misspelled key in a service block, naming it', () => {
    const r = helmTemplate({ values: base, set: ['gateway.replica=3'] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/at '\/gateway': additional properties 'replica' not allowed/);
  });

  it('rejects a misspelled key at the top level and deep inside', () => {
    for (const set of [
      'ingres.enabled=false',
      'global.topologySpread.maxskew=2',
      'networkPolicy.dns.too[0].ipBlock.cidr=10.0.0.0/8',
    ]) {
      const r = helmTemplate({ values: base, set: [set] });
      expect({
        set,
        ok: r.ok,
        mentionsKey: /additional properties '(ingres|maxskew|too)' not allowed/.test(r.stderr),
      }).toEqual({
        set,
        ok: false,
        mentionsKey: true,
      });
    }
  });

  it('rejects a wrong type', () => {
    const r = helmTemplate({ values: base, set: ['identity.replicas=three'] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('/identity/replicas');
  });

  it('rejects an encryption key that is not base64 of 32 bytes', () => {
    const r = helmTemplate({ values: base, set: ['secrets.encryptionKey=not-a-key'] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('/secrets/encryptionKey');
  });

  it('rejects a bootstrap token shorter than 32 characters', () => {
    const r = helmTemplate({ values: base, set: ['secrets.bootstrapToken=short'] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('/secrets/bootstrapToken');
  });
});

describe('checks beyond the schema', () => {
  it('refuses the chart defaults alone: a database must be chosen, with a hint', () => {
    const r = helmTemplate();
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('database: set database.url, database.existingSecret.name or database.host');
    expect(r.stderr).toContain('evaluation.enabled=true');
  });

  it('refuses two database sources at once', () => {
    const r = helmTemplate({ values: base, set: ['database.url=postgresql://a@b/c'] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('database: set only one of url, existingSecret.name, host (found url, host)');
  });

  it('refuses identity and gateway without rbac', () => {
    const r = helmTemplate({ values: base, set: ['rbac.enabled=false'] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('rbac.enabled=false');
  });
});
