import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  helmTemplate,
  named,
  networkPolicyRules,
  ofKind,
  podTemplates,
  renderScenario,
  type K8sObject,
  type NetworkPolicyPeer,
} from './helm.js';

const anyAddress = (peer: NetworkPolicyPeer): boolean => /\/0$/.test(peer.ipBlock?.cidr ?? '');

function selects(policy: K8sObject, labels: Record<string, string>): boolean {
  const want = (policy.spec?.podSelector as { matchLabels?: Record<string, string> }).matchLabels ?? {};
  return Object.entries(want).every(([k, v]) => labels[k] === v);
}

/** Peers allowed in a policy's rules, as "podSelector component" names. */
function peerComponents(rules: { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[] }[]): string[] {
  return rules
    .flatMap((r) => [...(r.from ?? []), ...(r.to ?? [])])
    .map((p) => p.podSelector?.matchLabels?.['app.kubernetes.io/component'])
    .filter((c): c is string => c !== undefined);
}

describe('NetworkPolicies in the air-gapped scenario', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderScenario('airgapped');
  });

  it('allow no egress to any address: every rule names its destinations and none is a /0', () => {
    const policies = ofKind(objects, 'NetworkPolicy');
    expect(policies.length).toBeGreaterThan(4);
    for (const np of policies) {
      for (const rule of networkPolicyRules(np, 'egress')) {
        expect({ policy: np.metadata.name, hasDestinations: (rule.to ?? []).length > 0 }).toEqual({
          policy: np.metadata.name,
          hasDestinations: true,
        });
        expect({ policy: np.metadata.name, open: (rule.to ?? []).filter(anyAddress) }).toEqual({
          policy: np.metadata.name,
          open: [],
        });
      }
    }
    expect(JSON.stringify(objects)).not.toMatch(/0\.0\.0\.0\/0|::\/0/);
  });

  it('deny everything by default for every pod of the release', () => {
    const deny = named(objects, 'NetworkPolicy', 'airlock-default-deny');
    expect(deny.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(networkPolicyRules(deny, 'ingress')).toEqual([]);
    expect(networkPolicyRules(deny, 'egress')).toEqual([]);
    for (const { owner, pod } of podTemplates(objects)) {
      expect({ owner, selected: selects(deny, pod.metadata.labels ?? {}) }).toEqual({
        owner,
        selected: true,
      });
    }
  });

  it('let the gateway reach only DNS, the database, Redis, and the in-cluster vLLM (no sibling: the services make no HTTP calls to each other)', () => {
    const egress = networkPolicyRules(named(objects, 'NetworkPolicy', 'airlock-gateway'), 'egress');
    const destinations = egress.map((r) => ({
      ports: (r.ports ?? []).map((p) => p.port),
      to: (r.to ?? []).map(
        (p) =>
          p.ipBlock?.cidr ??
          p.podSelector?.matchLabels?.['app.kubernetes.io/component'] ??
          p.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'],
      ),
    }));
    expect(destinations).toEqual([
      { ports: [53, 53], to: ['kube-system'] },
      { ports: [5432], to: ['10.10.4.20/32'] },
      { ports: [6379], to: ['10.10.4.21/32'] },
      { ports: [8000], to: ['models'] },
    ]);
  });

  it('sets the services to air-gapped mode with the allowed upstream hosts', () => {
    const config = named(objects, 'ConfigMap', 'airlock-config');
    expect(config.data?.AIRLOCK_AIRGAPPED).toBe('true');
    expect(config.data?.AIRLOCK_ALLOWED_UPSTREAM_HOSTS).toBe('vllm.models.svc.cluster.local');
  });

  it('pulls every image from the private registry', () => {
    for (const { owner, pod } of podTemplates(objects)) {
      for (const c of pod.spec.containers) {
        expect({ owner, image: c.image }).toEqual({
          owner,
          image: expect.stringMatching(/^registry\.internal\.example:5000\/airlock-mirror\//),
        });
      }
    }
  });
});

describe('the chart refuses to render an air-gapped install that could reach any address', () => {
  it('refuses the default IdP egress (HTTPS to any address)', () => {
    const r = helmTemplate({
      values: ['charts/airlock/ci/default-values.yaml'],
      set: ['airgapped.enabled=true'],
    });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('airgapped.enabled: the identity egress rule');
    expect(r.stderr).toContain('has no destination');
  });

  it('refuses a 0.0.0.0/0 destination', () => {
    const r = helmTemplate({
      values: ['charts/airlock/ci/airgapped-values.yaml'],
      set: ['gateway.networkPolicy.extraEgress[0].to[0].ipBlock.cidr=0.0.0.0/0'],
    });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('allows 0.0.0.0/0 (any address)');
  });

  it('refuses air-gapped mode without NetworkPolicies', () => {
    const r = helmTemplate({
      values: ['charts/airlock/ci/airgapped-values.yaml'],
      set: ['networkPolicy.enabled=false'],
    });
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('airgapped.enabled needs networkPolicy.enabled');
  });
});

describe('NetworkPolicies between the services (default scenario)', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderScenario('default');
  });

  const callersOf = (service: string): string[] =>
    peerComponents(
      networkPolicyRules(named(objects, 'NetworkPolicy', `airlock-${service}`), 'ingress'),
    ).filter((c) => c !== 'test');

  it('let no service talk to another: they share Postgres and Redis and make no HTTP calls to each other', () => {
    expect(callersOf('rbac')).toEqual([]);
    expect(callersOf('identity')).toEqual([]);
    expect(callersOf('gateway')).toEqual([]);
    expect(callersOf('audit')).toEqual([]);
  });

  it('let no service send to another either: no service egress rule names a service pod, in any scenario', () => {
    const services = ['identity', 'rbac', 'gateway', 'audit', 'all'];
    const ofService = (np: K8sObject) =>
      services.includes(np.metadata.labels?.['app.kubernetes.io/component'] ?? '');
    for (const scenario of ['default', 'ha', 'all-in-one', 'evaluation', 'airgapped']) {
      const policies = ofKind(renderScenario(scenario), 'NetworkPolicy').filter(ofService);
      expect({ scenario, policies: policies.length > 0 }).toEqual({ scenario, policies: true });
      for (const np of policies) {
        const siblings = peerComponents(networkPolicyRules(np, 'egress')).filter((c) => services.includes(c));
        expect({ scenario, policy: np.metadata.name, siblings }).toEqual({
          scenario,
          policy: np.metadata.name,
          siblings: [],
        });
      }
    }
  });

  it('let the ingress controller reach the HTTP port and Prometheus the internal port only', () => {
    const ingress = networkPolicyRules(named(objects, 'NetworkPolicy', 'airlock-audit'), 'ingress');
    const byNamespace = ingress
      .filter((r) => r.from?.[0]?.namespaceSelector)
      .map((r) => [
        r.from?.[0]?.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'],
        r.ports?.map((p) => p.port),
      ]);
    expect(byNamespace).toEqual([
      ['ingress-nginx', [8080]],
      ['monitoring', [9090]],
    ]);
  });

  it('give the gateway no upstream egress until upstreams are configured', () => {
    const egressPorts = networkPolicyRules(named(objects, 'NetworkPolicy', 'airlock-gateway'), 'egress').map(
      (r) => (r.ports ?? []).map((p) => p.port),
    );
    expect(egressPorts).toEqual([[53, 53], [5432], [6379]]);
  });

  it('let the migration Job reach only DNS and the database', () => {
    const egressPorts = networkPolicyRules(
      named(objects, 'NetworkPolicy', 'airlock-migration'),
      'egress',
    ).map((r) => (r.ports ?? []).map((p) => p.port));
    expect(egressPorts).toEqual([[53, 53], [5432]]);
  });
});
