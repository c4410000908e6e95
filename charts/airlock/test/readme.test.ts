import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { chartDir, repoRoot } from './helm.js';

const script = path.join(repoRoot, 'scripts/chart/values-docs.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('the chart README values reference (scripts/chart/values-docs.mjs)', () => {
  let copy: string | undefined;
  afterEach(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
    copy = undefined;
  });

  /** values.yaml and README.md of the chart in a scratch folder, values edited by `edit`. */
  function chartCopy(edit: (values: string) => string): string {
    copy = mkdtempSync(path.join(tmpdir(), 'airlock-chart-readme-'));
    copyFileSync(path.join(chartDir, 'README.md'), path.join(copy, 'README.md'));
    const values = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8');
    const edited = edit(values);
    expect(edited).not.toBe(values);
    writeFileSync(path.join(copy, 'values.yaml'), edited);
    return copy;
  }

  it('is up to date with the `# --` comments of values.yaml; regenerate with node scripts/chart/values-docs.mjs', () => {
    const r = run('--check');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain('up to date');
  });

  it('documents keys from their comments, whole objects as one row and sections key by key', () => {
    const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');
    expect(readme).toContain('| `image.pullPolicy` | string | `"IfNotPresent"` | Image pull policy. |');
    expect(readme).toMatch(/\| `global\.podSecurityContext` \| object \| `\{"runAsNonRoot":true,/);
    expect(readme).not.toContain('`global.podSecurityContext.runAsUser`');
    expect(readme).toContain('### `networkPolicy`');
    expect(readme).not.toMatch(/sessionSecret/);
  });

  it('fails the check when a comment changes without regenerating, and passes once regenerated', () => {
    const dir = chartCopy((v) => v.replace('# -- Image pull policy.', '# -- Image pull policy (changed).'));
    const stale = run('--check', '--chart', dir);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('README.md is stale');
    expect(run('--chart', dir).status).toBe(0);
    expect(run('--check', '--chart', dir).status).toBe(0);
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toContain('| Image pull policy (changed). |');
  });

  it('fails the check when a default changes without regenerating', () => {
    const dir = chartCopy((v) => v.replace('  pullPolicy: IfNotPresent', '  pullPolicy: Always'));
    expect(run('--check', '--chart', dir).status).toBe(1);
  });

  it('refuses a key without a `# --` comment, naming it', () => {
    const dir = chartCopy((v) =>
      v.replace('  pullPolicy: IfNotPresent\n', '  pullPolicy: IfNotPresent\n  secretKnob: 1\n'),
    );
    const r = run('--chart', dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no `# --` comment above `image.secretKnob`');
  });
});
