import { describe, expect, it } from '@jest/globals';
import { helmTemplate, named, renderScenario } from './helm.js';

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
    expect(r.stderr).toContain('no service calls another');
  });

  it('refuses the gateway without identity, whose tokens and sessions are all it accepts', () => {
    const r = helmTemplate({ values: base, set: ['identity.enabled=false'] });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain(
      'identity.enabled=false: the gateway accepts only the API tokens and sessions',
    );
  });
});

describe('upstream hosts (the gateway refuses to start in production without them)', () => {
  const empty = ['--set-json', 'airgapped.allowedUpstreamHosts=[]'];
  const message =
    'airgapped.allowedUpstreamHosts is empty: name the upstream hosts or CIDRs the gateway may call';

  it('refuses an empty list when the gateway runs, in one line naming the values key', () => {
    for (const values of [base, ['charts/airlock/ci/all-in-one-values.yaml']]) {
      const r = helmTemplate({ values, flags: empty });
      const errorLine = r.stderr.split('\n').find((l) => l.startsWith('Error:')) ?? '';
      expect({ values, ok: r.ok, errorLine: errorLine.includes(message) }).toEqual({
        values,
        ok: false,
        errorLine: true,
      });
    }
  });

  it('refuses the evaluation quick start without hosts, and accepts the --set the message suggests', () => {
    const set = ['evaluation.enabled=true', 'allInOne.enabled=true'];
    expect(helmTemplate({ set }).stderr).toContain(message);
    const r = helmTemplate({
      set: [...set, 'airgapped.allowedUpstreamHosts={vllm.models.svc.cluster.local,10.20.0.0/16}'],
    });
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
  });

  it('passes the list to the services comma-separated', () => {
    const config = named(renderScenario('existing-secret'), 'ConfigMap', 'airlock-config');
    expect(config.data?.AIRLOCK_ALLOWED_UPSTREAM_HOSTS).toBe('vllm.models.svc.cluster.local,10.20.0.0/16');
  });

  it('allows an empty list when no gateway is deployed', () => {
    const r = helmTemplate({ values: base, set: ['gateway.enabled=false'], flags: empty });
    expect(r.stderr).not.toContain(message);
    expect(r.ok).toBe(true);
  });
});
