// The one image's entry point: `main.js --target=<all|identity|rbac|gateway|audit>` serves
// (AIRLOCK_TARGET works too; default all), `main.js migrate` applies migrations and exits.
import { main } from '@airlock/common';
import { isTarget, modulesFor, TARGETS } from './modules.js';

const argv = process.argv.slice(2);
const target =
  argv.find((a) => a.startsWith('--target='))?.slice('--target='.length) ??
  process.env.AIRLOCK_TARGET ??
  'all';
if (!isTarget(target)) {
  process.stderr.write(
    `airlock: invalid config: --target: must be one of ${TARGETS.join(', ')} (got "${target}")\n`,
  );
  process.exit(1);
}
await main({ modules: modulesFor(target), service: target, seedDemo: target === 'all', argv });
