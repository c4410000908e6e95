#!/usr/bin/env node
// Writes an OCI image layout (oci-layout, index.json, blobs/sha256/...) from gzipped layer
// tarballs, plus the manifest.json that `docker load` reads from the same directory once it
// is tarred. Deterministic: the config's times are SOURCE_DATE_EPOCH and JSON keys have a
// fixed order, so the same layers give the same manifest digest.
//   node scripts/image/oci.mjs OUT_DIR REF LAYER.tar.gz...
// Prints IMAGE_REF, IMAGE_DIGEST (the manifest's) and IMAGE_CONFIG_DIGEST as shell assignments.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createGunzip } from 'node:zlib';

const [outDir, ref, ...layers] = process.argv.slice(2);
if (!outDir || !ref || layers.length === 0) {
  process.stderr.write('usage: oci.mjs OUT_DIR REF LAYER.tar.gz...\n');
  process.exit(2);
}
const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? '0');
const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
const [repository, tag] = ref.split(':');
const blobs = path.join(outDir, 'blobs', 'sha256');
mkdirSync(blobs, { recursive: true });

const sha256 = (buf) => `sha256:${createHash('sha256').update(buf).digest('hex')}`;
function hashStream(stream) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    stream.on('data', (d) => h.update(d));
    stream.on('end', () => resolve(`sha256:${h.digest('hex')}`));
    stream.on('error', reject);
  });
}
function writeBlob(buf) {
  const digest = sha256(buf);
  writeFileSync(path.join(blobs, digest.slice(7)), buf);
  return { digest, size: buf.length };
}

const layerDescs = [];
const diffIds = [];
for (const file of layers) {
  const digest = await hashStream(createReadStream(file));
  diffIds.push(await hashStream(createReadStream(file).pipe(createGunzip())));
  copyFileSync(file, path.join(blobs, digest.slice(7)));
  layerDescs.push({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest,
    size: statSync(file).size,
  });
}

const labels = {
  'org.opencontainers.image.created': created,
  'org.opencontainers.image.title': 'Airlock',
  'org.opencontainers.image.version': tag,
  'org.opencontainers.image.licenses': 'see /usr/share/doc/*/copyright and /app/sbom.cdx.json',
};
const config = {
  created,
  architecture: 'amd64',
  os: 'linux',
  config: {
    User: '10001:10001',
    ExposedPorts: { '8080/tcp': {}, '9090/tcp': {} },
    Env: [
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'NODE_ENV=production',
      'PORT=8080',
      'AIRLOCK_INTERNAL_PORT=9090',
      'HOME=/tmp',
      'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
    ],
    // tini as PID 1 forwards SIGTERM to node (which drains) and reaps zombies.
    Entrypoint: ['/usr/bin/tini', '--', '/usr/local/bin/node', 'services/server/dist/main.js'],
    Cmd: ['--target=all'],
    WorkingDir: '/app',
    Labels: labels,
  },
  rootfs: { type: 'layers', diff_ids: diffIds },
  history: [
    { created, created_by: 'scripts/image/build.sh: Debian packages, node, users (base)' },
    { created, created_by: 'scripts/image/build.sh: services and production dependencies (app)' },
  ].slice(0, layers.length),
};
const configBlob = writeBlob(Buffer.from(JSON.stringify(config)));
const manifest = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
  layers: layerDescs,
  annotations: { 'org.opencontainers.image.created': created },
};
const manifestBlob = writeBlob(Buffer.from(JSON.stringify(manifest)));
const index = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifestBlob,
      platform: { architecture: 'amd64', os: 'linux' },
      annotations: {
        'io.containerd.image.name': `docker.io/library/${repository}:${tag}`,
        'org.opencontainers.image.ref.name': tag,
      },
    },
  ],
};
writeFileSync(path.join(outDir, 'index.json'), JSON.stringify(index));
writeFileSync(path.join(outDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
// docker load (all versions) reads this; newer ones also read index.json.
const dockerManifest = [
  {
    Config: `blobs/sha256/${configBlob.digest.slice(7)}`,
    RepoTags: [ref],
    Layers: layerDescs.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
  },
];
writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(dockerManifest));
process.stdout.write(
  `IMAGE_REF=${ref}\nIMAGE_DIGEST=${manifestBlob.digest}\nIMAGE_CONFIG_DIGEST=${configBlob.digest}\n`,
);
