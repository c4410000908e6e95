import { describe, expect, it } from '@jest/globals';
import {
  hookAnnotations,
  named,
  ofKind,
  podTemplates,
  renderScenario,
  type K8sObject,
  type PodSpec,
} from './helm.js';

const hooked = (objects: K8sObject[]): K8sObject[] =>
  objects.filter((o) => o.metadata.annotations?.['helm.sh/hook']);

/** Names of the Secrets and ConfigMaps a pod spec reads (env, envFrom). */
function referencedConfig(spec: PodSpec): { secrets: string[]; configMaps: string[] } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  for (const c of spec.containers) {
    for (const e of c.env ?? []) {
      if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name);
      if (e.valueFrom?.configMapKeyRef) configMaps.add(e.valueFrom.configMapKeyRef.name);
    }
    for (const f of c.envFrom ?? []) {
      if (f.secretRef) secrets.add(f.secretRef.name);
      if (f.configMapRef) configMaps.add(f.configMapRef.name);
    }
  }
  return { secrets: [...secrets], configMaps: [...configMaps] };
}

describe.each(['default', 'evaluation', 'existing-secret', 'all-in-one'])(
  'install/upgrade hooks in the %s scenario',
  (scenario) => {
    it('run the migration Job before every install and upgrade, replacing the previous run, failing the release on failure', () => {
      const objects = renderScenario(scenario);
      const job = named(objects, 'Job', 'airlock-migrate');
      expect(hookAnnotations(job)).toEqual({
        hooks: ['pre-install', 'pre-upgrade'],
        weight: 0,
        deletePolicy: ['before-hook-creation'],
      });
      const spec = job.spec as {
        backoffLimit: number;
        activeDeadlineSeconds: number;
        template: { spec: PodSpec };
      };
      expect(spec.backoffLimit).toBeGreaterThanOrEqual(0);
      const container = spec.template.spec.containers[0];
      expect(container?.args).toEqual(['migrate']);
      const wait = Number(container?.env?.find((e) => e.name === 'AIRLOCK_DB_WAIT_SECONDS')?.value);
      expect(wait).toBeGreaterThan(0);
      expect(spec.activeDeadlineSeconds).toBeGreaterThan(wait);
    });

    it('create everything the migration Job reads before it: hooks with lower weights, or objects the chart does not own', () => {
      const objects = renderScenario(scenario);
      const job = named(objects, 'Job', 'airlock-migrate');
      const jobWeight = hookAnnotations(job).weight;
      const { secrets, configMaps } = referencedConfig(
        (job.spec as { template: { spec: PodSpec } }).template.spec,
      );
      for (const [kind, names] of [
        ['Secret', secrets],
        ['ConfigMap', configMaps],
      ] as const) {
        for (const name of names) {
          const owned = objects.find((o) => o.kind === kind && o.metadata.name === name);
          if (!owned) continue;
          const hook = hookAnnotations(owned);
          expect({ object: `${kind}/${name}`, hooks: hook.hooks, before: hook.weight < jobWeight }).toEqual({
            object: `${kind}/${name}`,
            hooks: ['pre-install', 'pre-upgrade'],
            before: true,
          });
        }
      }
      // The chart's ServiceAccounts are ordinary objects, created after pre-install hooks.
      expect((job.spec as { template: { spec: PodSpec } }).template.spec.serviceAccountName).toBeUndefined();
    });

    it('order the hooks: chart Secret, then evaluation datastores, then the migration Job', () => {
      const objects = renderScenario(scenario);
      const order = hooked(objects)
        .filter((o) => hookAnnotations(o).hooks.includes('pre-install'))
        .map((o) => ({ id: `${o.kind}/${o.metadata.name}`, weight: hookAnnotations(o).weight }))
        .sort((a, b) => a.weight - b.weight || a.id.localeCompare(b.id));
      const expected = [
        ...(scenario === 'existing-secret' ? [] : [{ id: 'Secret/airlock-secrets', weight: -10 }]),
        ...(scenario === 'evaluation'
          ? [
              { id: 'Service/airlock-postgres', weight: -5 },
              { id: 'Service/airlock-redis', weight: -5 },
              { id: 'StatefulSet/airlock-postgres', weight: -5 },
              { id: 'StatefulSet/airlock-redis', weight: -5 },
            ]
          : []),
        { id: 'Job/airlock-migrate', weight: 0 },
      ];
      expect(order).toEqual(expected);
    });

    it('keep the Deployments, Services and ConfigMap ordinary release objects (not hooks)', () => {
      const objects = renderScenario(scenario);
      for (const o of objects.filter((x) =>
        ['Deployment', 'ConfigMap', 'NetworkPolicy', 'ServiceAccount'].includes(x.kind),
      )) {
        expect({
          object: `${o.kind}/${o.metadata.name}`,
          hook: o.metadata.annotations?.['helm.sh/hook'],
        }).toEqual({
          object: `${o.kind}/${o.metadata.name}`,
          hook: undefined,
        });
      }
      expect(ofKind(objects, 'Deployment').length).toBeGreaterThan(0);
    });

    it('ship a helm test Job that checks every service and the unauthenticated 401', () => {
      const objects = renderScenario(scenario);
      const test = named(objects, 'Job', 'airlock-test');
      expect(hookAnnotations(test).hooks).toEqual(['test']);
      const container = (test.spec as { template: { spec: PodSpec } }).template.spec.containers[0];
      const targets = JSON.parse(
        container?.env?.find((e) => e.name === 'AIRLOCK_TEST_TARGETS')?.value ?? '{}',
      ) as Record<string, string>;
      const services = podTemplates(objects)
        .filter((p) => p.owner.startsWith('Deployment/'))
        .map((p) => p.owner.replace('Deployment/airlock-', ''));
      expect(Object.keys(targets).sort()).toEqual(services.sort());
      expect(container?.command?.join(' ')).toMatch(/\/v1\/models`, 401\b/);
    });
  },
);
