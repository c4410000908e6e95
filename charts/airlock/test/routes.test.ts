import { describe, expect, it } from '@jest/globals';
import { named, ofKind, renderScenario, type K8sObject } from './helm.js';

/** The route map the services serve (docs: ARCHITECTURE.md), written out here on purpose. */
const ROUTES: Record<string, string[]> = {
  // '/': the web console, which every target serves; routed to identity (longest prefix wins).
  identity: ['/auth', '/api/v1/me', '/api/v1/tokens', '/api/v1/sso', '/scim/v2', '/oauth', '/device', '/'],
  rbac: ['/api/v1/orgs', '/api/v1/members', '/api/v1/policy'],
  gateway: ['/v1', '/api/v1/access'],
  audit: ['/api/v1/audit', '/api/v1/audit-events'],
};
const ALL_PREFIXES = Object.values(ROUTES).flat().sort();

interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { name?: string; number?: number } } };
}

function ingressRoutes(ingress: K8sObject): Record<string, string> {
  const rules = ingress.spec?.rules as { http: { paths: IngressPath[] } }[];
  const out: Record<string, string> = {};
  for (const p of rules.flatMap((r) => r.http.paths)) {
    expect({ path: p.path, pathType: p.pathType, port: p.backend.service.port }).toEqual({
      path: p.path,
      pathType: 'Prefix',
      port: { name: 'http' },
    });
    if (out[p.path]) throw new Error(`${p.path} is routed twice`);
    out[p.path] = p.backend.service.name;
  }
  return out;
}

function expectedMap(backendOf: (service: string) => string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(ROUTES).flatMap(([svc, prefixes]) => prefixes.map((p) => [p, backendOf(svc)])),
  );
}

describe('the Ingress', () => {
  it('mounts exactly the route map, each prefix on the service that serves it', () => {
    const objects = renderScenario('default');
    expect(ingressRoutes(named(objects, 'Ingress', 'airlock'))).toEqual(
      expectedMap((svc) => `airlock-${svc}`),
    );
    const services = ofKind(objects, 'Service').map((s) => s.metadata.name);
    expect(services).toEqual(expect.arrayContaining(Object.keys(ROUTES).map((s) => `airlock-${s}`)));
  });

  it('sends every prefix to the one all-in-one service in all-in-one mode', () => {
    const objects = renderScenario('all-in-one');
    const routes = ingressRoutes(named(objects, 'Ingress', 'airlock'));
    expect(Object.keys(routes).sort()).toEqual(ALL_PREFIXES);
    expect(new Set(Object.values(routes))).toEqual(new Set(['airlock-all']));
    expect(ofKind(objects, 'Deployment').map((d) => d.metadata.name)).toEqual(['airlock-all']);
    const container = (
      named(objects, 'Deployment', 'airlock-all').spec as {
        template: { spec: { containers: { args: string[] }[] } };
      }
    ).template.spec.containers[0];
    expect(container?.args).toEqual(['--target=all']);
  });

  it('serves TLS for its host when asked', () => {
    const ingress = named(renderScenario('all-in-one'), 'Ingress', 'airlock');
    expect(ingress.spec?.tls).toEqual([{ hosts: ['airlock.example.com'], secretName: 'airlock-tls' }]);
  });
});

describe('the Gateway API HTTPRoute', () => {
  it('mounts the same route map with path prefixes', () => {
    const objects = renderScenario('httproute');
    expect(ofKind(objects, 'Ingress')).toEqual([]);
    const route = named(objects, 'HTTPRoute', 'airlock');
    const rules = route.spec?.rules as {
      matches: { path: { type: string; value: string } }[];
      backendRefs: { name: string; port: number }[];
    }[];
    const map: Record<string, string> = {};
    for (const rule of rules) {
      for (const m of rule.matches) {
        expect(m.path.type).toBe('PathPrefix');
        map[m.path.value] = `${rule.backendRefs[0]?.name}:${rule.backendRefs[0]?.port}`;
      }
    }
    expect(map).toEqual(expectedMap((svc) => `airlock-${svc}:8080`));
  });
});

describe('service-to-service addresses', () => {
  it('set no sibling URLs: no service reads one (they share the database and Redis instead)', () => {
    const config = named(renderScenario('default'), 'ConfigMap', 'airlock-config');
    expect(config.data?.AIRLOCK_RBAC_URL).toBeUndefined();
    expect(config.data?.AIRLOCK_IDENTITY_URL).toBeUndefined();
  });

  it('run each service with its own --target', () => {
    const objects = renderScenario('default');
    for (const svc of Object.keys(ROUTES)) {
      const dep = named(objects, 'Deployment', `airlock-${svc}`);
      const args = (dep.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
        .containers[0]?.args;
      expect(args).toEqual([`--target=${svc}`]);
    }
  });
});
