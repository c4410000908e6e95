// Renders the chart with the pinned helm (.tools/bin/helm) and parses the output, for the chart
// tests. Nothing is skipped when helm is missing: the tests fail and say how to install it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const chartDir = path.join(repoRoot, 'charts/airlock');
export const helmBin = process.env.HELM ?? path.join(repoRoot, '.tools/bin/helm');
/** Release name and namespace every test renders with, as the committed manifests do. */
export const release = 'airlock';

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  securityContext?: SecurityContext;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}

export interface PodSpec {
  securityContext?: SecurityContext;
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  containers: Container[];
  initContainers?: Container[];
}

export interface PodTemplate {
  metadata: Metadata;
  spec: PodSpec;
}

export interface NetworkPolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
}

export interface NetworkPolicyRule {
  to?: NetworkPolicyPeer[];
  from?: NetworkPolicyPeer[];
  ports?: { port?: number | string; protocol?: string }[];
}

/** A rendered object; `spec` is typed loosely and narrowed by the helpers below. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface RenderOptions {
  /** Values files, relative to the repo root. */
  values?: string[];
  /** `--set` expressions. */
  set?: string[];
  /** Any other `helm template` flags. */
  flags?: string[];
}

export interface RenderResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function requireHelm(): void {
  if (!existsSync(helmBin)) {
    throw new Error(
      `helm is not installed at ${helmBin}. Run scripts/test-chart.sh once: it installs the pinned helm into .tools/ and runs these tests.`,
    );
  }
}

/** Runs `helm template` and returns its output, whether it succeeded or not. */
export function helmTemplate(opts: RenderOptions = {}): RenderResult {
  requireHelm();
  const args = ['template', release, chartDir, '--namespace', release];
  for (const v of opts.values ?? []) args.push('-f', path.join(repoRoot, v));
  for (const s of opts.set ?? []) args.push('--set', s);
  args.push(...(opts.flags ?? []));
  const run = spawnSync(helmBin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw run.error;
  return { ok: run.status === 0, stdout: run.stdout, stderr: run.stderr };
}

const cache = new Map<string, K8sObject[]>();

/** Renders and parses; throws with helm's message when rendering fails. */
export function render(opts: RenderOptions = {}): K8sObject[] {
  const key = JSON.stringify(opts);
  const hit = cache.get(key);
  if (hit) return hit;
  const result = helmTemplate(opts);
  if (!result.ok) throw new Error(`helm template ${JSON.stringify(opts)} failed:\n${result.stderr}`);
  const objects = parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && 'kind' in o);
  cache.set(key, objects);
  return objects;
}

/** The ci/ scenario names (ci/<name>-values.yaml). */
export function scenarioNames(): string[] {
  return readdirSync(path.join(chartDir, 'ci'))
    .filter((f) => f.endsWith('-values.yaml'))
    .map((f) => f.replace(/-values\.yaml$/, ''))
    .sort();
}

/** Values file and `# render-flags:` of a scenario, as scripts/chart/render.mjs reads them. */
export function scenarioOptions(name: string): RenderOptions {
  const rel = `charts/airlock/ci/${name}-values.yaml`;
  const flagLine = readFileSync(path.join(repoRoot, rel), 'utf8').match(/^# render-flags:(.*)$/m);
  return { values: [rel], flags: flagLine?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [] };
}

export function renderScenario(name: string, extra: Omit<RenderOptions, 'values'> = {}): K8sObject[] {
  const base = scenarioOptions(name);
  return render({
    values: base.values,
    set: extra.set,
    flags: [...(base.flags ?? []), ...(extra.flags ?? [])],
  });
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const have = ofKind(objects, kind).map((o) => o.metadata.name);
    throw new Error(`no ${kind} named ${name} (rendered: ${have.join(', ') || 'none'})`);
  }
  return found;
}

const POD_OWNERS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet']);

/** Every pod template the chart renders, with the object that owns it ("Job/airlock-migrate"). */
export function podTemplates(objects: K8sObject[]): { owner: string; object: K8sObject; pod: PodTemplate }[] {
  return objects
    .filter((o) => POD_OWNERS.has(o.kind))
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, object: o, pod: o.spec?.template as PodTemplate }));
}

export function containersOf(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

export function hookAnnotations(o: K8sObject): { hooks: string[]; weight: number; deletePolicy: string[] } {
  const a = o.metadata.annotations ?? {};
  const split = (v: string | undefined): string[] => (v ? v.split(',').map((s) => s.trim()) : []);
  return {
    hooks: split(a['helm.sh/hook']),
    weight: Number(a['helm.sh/hook-weight'] ?? '0'),
    deletePolicy: split(a['helm.sh/hook-delete-policy']),
  };
}

export function networkPolicyRules(o: K8sObject, direction: 'ingress' | 'egress'): NetworkPolicyRule[] {
  return (o.spec?.[direction] as NetworkPolicyRule[] | undefined) ?? [];
}
