#!/usr/bin/env node
// Prints the image's SBOM (CycloneDX 1.5 JSON): the Debian packages (from the control files
// build.sh writes to var/lib/dpkg/status.d), Node.js, and every npm package installed in the
// app (node_modules/.package-lock.json, which npm writes for exactly what it installed).
// Deterministic: timestamp from SOURCE_DATE_EPOCH, serial number derived from the content.
//   node scripts/image/sbom.mjs BASE_DIR APP_DIR REF NODE_PKG NODE_VERSION NODE_INTEGRITY
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [baseDir, appDir, ref, nodePkg, nodeVersion, nodeIntegrity] = process.argv.slice(2);
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? '0');

function control(text) {
  const fields = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (m) fields[m[1]] = m[2];
  }
  return fields;
}

const components = [];
const statusDir = path.join(baseDir, 'var/lib/dpkg/status.d');
for (const name of readdirSync(statusDir).sort()) {
  const f = control(readFileSync(path.join(statusDir, name), 'utf8'));
  const source = f.Source ? `&upstream=${encodeURIComponent(f.Source.split(' ')[0])}` : '';
  components.push({
    type: 'library',
    'bom-ref': `pkg:deb/debian/${f.Package}@${f.Version}?arch=${f.Architecture}`,
    name: f.Package,
    version: f.Version,
    purl: `pkg:deb/debian/${f.Package}@${encodeURIComponent(f.Version)}?arch=${f.Architecture}&distro=debian-12${source}`,
    supplier: { name: f.Maintainer ?? 'Debian' },
  });
}

const [alg, b64] = nodeIntegrity.split('-');
components.push({
  type: 'application',
  'bom-ref': `pkg:npm/${nodePkg}@${nodeVersion}`,
  name: 'node',
  version: nodeVersion,
  description: `official linux-x64 binary, from the npm package ${nodePkg}`,
  purl: `pkg:npm/${nodePkg}@${nodeVersion}`,
  hashes: [
    { alg: alg.toUpperCase().replace('SHA', 'SHA-'), content: Buffer.from(b64, 'base64').toString('hex') },
  ],
});

const lock = JSON.parse(readFileSync(path.join(appDir, 'node_modules/.package-lock.json'), 'utf8'));
const npm = [];
for (const [where, pkg] of Object.entries(lock.packages ?? {})) {
  if (!where || pkg.link) continue; // workspace links: our own code, not a dependency
  const name = pkg.name ?? where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
  if (name.startsWith('@airlock/')) continue;
  const purlName = name.startsWith('@') ? `%40${name.slice(1)}` : name;
  const entry = {
    type: 'library',
    'bom-ref': `pkg:npm/${name}@${pkg.version}#${where}`,
    name,
    version: pkg.version,
    purl: `pkg:npm/${purlName}@${pkg.version}`,
  };
  if (pkg.license) entry.licenses = [{ expression: String(pkg.license) }];
  if (pkg.integrity) {
    const [a, h] = pkg.integrity.split('-');
    entry.hashes = [
      { alg: a.toUpperCase().replace('SHA', 'SHA-'), content: Buffer.from(h, 'base64').toString('hex') },
    ];
  }
  npm.push(entry);
}
npm.sort((x, y) => (x['bom-ref'] < y['bom-ref'] ? -1 : x['bom-ref'] > y['bom-ref'] ? 1 : 0));
components.push(...npm);

const body = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  version: 1,
  metadata: {
    timestamp: new Date(epoch * 1000).toISOString().replace('.000Z', 'Z'),
    component: { type: 'container', 'bom-ref': ref, name: ref.split(':')[0], version: ref.split(':')[1] },
    tools: { components: [{ type: 'application', name: 'scripts/image/sbom.mjs' }] },
  },
  components,
};
const hex = createHash('sha256').update(JSON.stringify(body)).digest('hex');
const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
process.stdout.write(`${JSON.stringify({ ...body, serialNumber: `urn:uuid:${uuid}` }, null, 2)}\n`);
