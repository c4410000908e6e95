import { describe, expect, it } from '@jest/globals';
import { containersOf, ofKind, podTemplates, render, renderScenario, type EnvVar } from './helm.js';

// AIRLOCK_SESSION_SECRET is gone: no service reads it, so the chart neither generates nor passes it.
const APP_SECRETS = ['AIRLOCK_ENCRYPTION_KEY', 'AIRLOCK_BOOTSTRAP_TOKEN'];
const secretRef = (env: EnvVar[] | undefined, name: string): { name: string; key: string } | undefined =>
  env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;

describe('secrets.existingSecret', () => {
  const objects = (): ReturnType<typeof renderScenario> => renderScenario('existing-secret');

  it('makes the chart render no Secret at all', () => {
    expect(ofKind(objects(), 'Secret')).toEqual([]);
  });

  it('is read by every Airlock pod and the migration Job, as are the database and Redis Secrets', () => {
    const airlockPods = podTemplates(objects()).filter((p) => !p.owner.startsWith('Job/airlock-test'));
    expect(airlockPods.map((p) => p.owner)).toEqual(
      expect.arrayContaining(['Job/airlock-migrate', 'Deployment/airlock-gateway']),
    );
    for (const { owner, pod } of airlockPods) {
      for (const c of containersOf(pod.spec)) {
        const refs = Object.fromEntries(
          [...APP_SECRETS, 'AIRLOCK_SESSION_SECRET', 'DATABASE_URL', 'REDIS_URL'].map((k) => [
            k,
            secretRef(c.env, k),
          ]),
        );
        expect({ container: `${owner}/${c.name}`, refs }).toEqual({
          container: `${owner}/${c.name}`,
          refs: {
            AIRLOCK_ENCRYPTION_KEY: { name: 'airlock-app-secrets', key: 'AIRLOCK_ENCRYPTION_KEY' },
            AIRLOCK_SESSION_SECRET: undefined,
            AIRLOCK_BOOTSTRAP_TOKEN: { name: 'airlock-app-secrets', key: 'AIRLOCK_BOOTSTRAP_TOKEN' },
            DATABASE_URL: { name: 'airlock-database', key: 'url' },
            REDIS_URL: { name: 'airlock-redis', key: 'url' },
          },
        });
      }
    }
  });
});

describe('generated secrets (default scenario)', () => {
  const secret = (): { data: Record<string, string> } => {
    const [s] = ofKind(renderScenario('default'), 'Secret');
    if (!s?.data) throw new Error('the chart Secret was not rendered');
    return { data: s.data };
  };
  const decoded = (key: string): string => Buffer.from(secret().data[key] ?? '', 'base64').toString('utf8');

  it('generates an encryption key of 32 random bytes, base64, and no session secret', () => {
    expect(Buffer.from(decoded('AIRLOCK_ENCRYPTION_KEY'), 'base64')).toHaveLength(32);
    expect(Object.keys(secret().data)).not.toContain('AIRLOCK_SESSION_SECRET');
  });

  it('generates a bootstrap token of at least 32 characters', () => {
    expect(decoded('AIRLOCK_BOOTSTRAP_TOKEN').length).toBeGreaterThanOrEqual(32);
  });

  it('is read by every Airlock pod and the migration Job', () => {
    for (const { owner, pod } of podTemplates(renderScenario('default')).filter(
      (p) => p.owner !== 'Job/airlock-test',
    )) {
      for (const c of containersOf(pod.spec)) {
        expect({ owner, refs: APP_SECRETS.map((k) => secretRef(c.env, k)?.name) }).toEqual({
          owner,
          refs: APP_SECRETS.map(() => 'airlock-secrets'),
        });
      }
    }
  });

  it('takes values given in values instead of generating them, including a rotation key list', () => {
    const current = Buffer.alloc(32, 2).toString('base64');
    const old = Buffer.alloc(32, 1).toString('base64');
    const rotation = `2:${current},1:${old}`;
    const [s] = ofKind(
      render({
        values: ['charts/airlock/ci/default-values.yaml'],
        set: [`secrets.encryptionKey=${rotation.replace(/,/g, '\\,')}`],
      }),
      'Secret',
    );
    expect(Buffer.from(s?.data?.AIRLOCK_ENCRYPTION_KEY ?? '', 'base64').toString()).toBe(rotation);
  });
});

describe('checksum/secret', () => {
  const checksum = (set: string[]): string | undefined => {
    const objects = render({ values: ['charts/airlock/ci/default-values.yaml'], set });
    const gateway = podTemplates(objects).find((p) => p.owner === 'Deployment/airlock-gateway');
    return gateway?.pod.metadata.annotations?.['checksum/secret'];
  };

  it('does not depend on generated values, so the first upgrade does not roll every pod', () => {
    // Two renders generate different random secrets; the checksum must not follow them.
    expect(checksum(['global.logLevel=info'])).toBe(checksum(['global.logLevel=debug']));
  });

  it('changes when a secret is set in values (e.g. a key rotation), so the pods restart', () => {
    const key = Buffer.alloc(32, 3).toString('base64');
    expect(checksum([`secrets.encryptionKey=${key}`])).not.toBe(checksum([]));
  });
});

describe('database and Redis URLs', () => {
  it('builds them from host fields with the password from its Secret, never inline', () => {
    const gateway = podTemplates(renderScenario('default')).find(
      (p) => p.owner === 'Deployment/airlock-gateway',
    );
    const env = gateway?.pod.spec.containers[0]?.env ?? [];
    expect(secretRef(env, 'AIRLOCK_DATABASE_PASSWORD')).toEqual({
      name: 'airlock-postgres',
      key: 'password',
    });
    expect(env.find((e) => e.name === 'DATABASE_URL')?.value).toBe(
      'postgresql://airlock:$(AIRLOCK_DATABASE_PASSWORD)@postgres.db.svc.cluster.local:5432/airlock?sslmode=verify-full',
    );
    expect(env.find((e) => e.name === 'REDIS_URL')?.value).toBe(
      'rediss://:$(AIRLOCK_REDIS_PASSWORD)@redis.db.svc.cluster.local:6379/0',
    );
    // $(VAR) expansion only sees variables defined earlier in the list.
    const names = env.map((e) => e.name);
    expect(names.indexOf('AIRLOCK_DATABASE_PASSWORD')).toBeLessThan(names.indexOf('DATABASE_URL'));
    expect(names.indexOf('AIRLOCK_REDIS_PASSWORD')).toBeLessThan(names.indexOf('REDIS_URL'));
  });

  it('keeps URLs given inline in the chart Secret', () => {
    const [s] = ofKind(renderScenario('ha'), 'Secret');
    expect(Buffer.from(s?.data?.DATABASE_URL ?? '', 'base64').toString()).toMatch(
      /^postgresql:\/\/airlock:secret@/,
    );
  });
});
