import { beforeAll, describe, expect, it } from '@jest/globals';
import { containersOf, ofKind, podTemplates, renderScenario, scenarioNames, type K8sObject } from './helm.js';

describe.each(scenarioNames())('pod security in the %s scenario', (scenario) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = renderScenario(scenario);
  });

  it('covers the services, the migration Job and the helm test Job', () => {
    const owners = podTemplates(objects).map((p) => p.owner);
    expect(owners).toEqual(expect.arrayContaining(['Job/airlock-migrate', 'Job/airlock-test']));
    expect(owners.filter((o) => o.startsWith('Deployment/')).length).toBeGreaterThan(0);
  });

  it('runs every pod as a non-root user with the runtime default seccomp profile and no API token', () => {
    for (const { owner, pod } of podTemplates(objects)) {
      const sc = pod.spec.securityContext ?? {};
      expect({ owner, runAsNonRoot: sc.runAsNonRoot, seccomp: sc.seccompProfile?.type }).toEqual({
        owner,
        runAsNonRoot: true,
        seccomp: 'RuntimeDefault',
      });
      expect({ owner, uidIsRoot: (sc.runAsUser ?? 0) === 0 }).toEqual({ owner, uidIsRoot: false });
      expect({ owner, automount: pod.spec.automountServiceAccountToken }).toEqual({
        owner,
        automount: false,
      });
    }
  });

  it('runs every container read-only, unprivileged, with all capabilities dropped', () => {
    for (const { owner, pod } of podTemplates(objects)) {
      for (const c of containersOf(pod.spec)) {
        const sc = c.securityContext ?? {};
        expect({
          container: `${owner}/${c.name}`,
          readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
          allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
          privileged: sc.privileged ?? false,
          runAsNonRoot: sc.runAsNonRoot,
          dropsAll: sc.capabilities?.drop?.includes('ALL') ?? false,
          adds: sc.capabilities?.add ?? [],
          seccomp: sc.seccompProfile?.type ?? pod.spec.securityContext?.seccompProfile?.type,
        }).toEqual({
          container: `${owner}/${c.name}`,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          runAsNonRoot: true,
          dropsAll: true,
          adds: [],
          seccomp: 'RuntimeDefault',
        });
      }
    }
  });

  it('runs the Airlock image as uid 10001', () => {
    for (const { owner, pod } of podTemplates(objects)) {
      if (owner.includes('-postgres') || owner.includes('-redis')) continue;
      for (const c of containersOf(pod.spec)) {
        const uid = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
        expect({ container: `${owner}/${c.name}`, uid }).toEqual({
          container: `${owner}/${c.name}`,
          uid: 10001,
        });
      }
    }
  });

  it('gives no ServiceAccount an automounted token', () => {
    for (const sa of ofKind(objects, 'ServiceAccount')) {
      expect({
        sa: sa.metadata.name,
        automount: (sa as K8sObject & { automountServiceAccountToken?: boolean })
          .automountServiceAccountToken,
      }).toEqual({
        sa: sa.metadata.name,
        automount: false,
      });
    }
  });

  it('probes every service on the internal port: /healthz for liveness, /readyz for readiness', () => {
    for (const { owner, pod } of podTemplates(objects).filter((p) => p.owner.startsWith('Deployment/'))) {
      const [c] = pod.spec.containers;
      expect({
        owner,
        liveness: c?.livenessProbe?.httpGet,
        readiness: c?.readinessProbe?.httpGet,
      }).toEqual({
        owner,
        liveness: { path: '/healthz', port: 'internal' },
        readiness: { path: '/readyz', port: 'internal' },
      });
    }
  });

  it('restarts the services when their configuration changes (checksum/config)', () => {
    for (const { owner, pod } of podTemplates(objects).filter((p) => p.owner.startsWith('Deployment/'))) {
      expect({ owner, checksum: pod.metadata.annotations?.['checksum/config'] }).toEqual({
        owner,
        checksum: expect.stringMatching(/^[a-f0-9]{64}$/),
      });
    }
  });
});
