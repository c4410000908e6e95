import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { helmBin, repoRoot } from './helm.js';

describe('committed rendered manifests (charts/airlock/tests/rendered)', () => {
  it('match what the templates render now; regenerate with scripts/chart/render.sh', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/chart/render.mjs'), '--check'], {
      encoding: 'utf8',
      env: { ...process.env, HELM: helmBin },
    });
    if (run.status !== 0) {
      throw new Error(`rendered manifests are stale or could not be rendered:\n${run.stderr}${run.stdout}`);
    }
    expect(run.stdout).toContain('up to date');
  });
});
