// The one image's entry point: `main.js --target=<all|identity|rbac|gateway|audit>` serves
// (AIRLOCK_TARGET works too; default all), `main.js migrate` applies migrations and exits.
import { envBoolean, main } from '@airlock/common';
import { isTarget, modulesFor, TARGETS } from './modules.js';
import { consoleModule } from './console/module.js';
import { demoModule } from './demo/module.js';

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
// Read with the demo module's own rule (envBoolean); a value it refuses loads the module, whose
// config check then stops start-up naming AIRLOCK_DEMO.
const demoFlag = envBoolean().safeParse(
  process.env.AIRLOCK_DEMO || (process.env.NODE_ENV === 'production' ? 'false' : 'true'),
);
const demo = target === 'all' && (!demoFlag.success || demoFlag.data);
// The demo's IdP lives at AIRLOCK_PUBLIC_URL, plain http on a laptop, and its models on this
// machine (the demo model in this process, Ollama on 127.0.0.1): identity must accept an http
// issuer and the gateway loopback upstreams. Outside production only (the demo module refuses
// production at start-up).
if (demo && process.env.NODE_ENV !== 'production') {
  process.env.AIRLOCK_SSO_ALLOW_HTTP_ISSUERS ??= 'true';
  process.env.AIRLOCK_GATEWAY_ALLOW_LOOPBACK_UPSTREAMS ??= 'true';
}
await main({
  // Every target serves the console: the Ingress routes `/` to one of them.
  modules: [...modulesFor(target), ...(demo ? [demoModule] : []), consoleModule],
  service: target,
  seedDemo: target === 'all',
  argv,
});
