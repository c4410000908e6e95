#!/usr/bin/env node
// Writes kubeconform's "standalone-strict" JSON schemas, offline, from
//  - a Kubernetes OpenAPI v2 spec (api/openapi-spec/swagger.json of the k8s.io/kubernetes Go
//    module, which scripts/test-chart.sh fetches with `go mod download`), and
//  - CustomResourceDefinition YAML files (ServiceMonitor, PrometheusRule, HTTPRoute).
//
// Usage: node scripts/chart/k8s-schemas.mjs --out DIR [--swagger swagger.json] [--crd file.yaml]...
//
// Layout and names follow kubeconform's default template
// ({{ .ResourceKind }}{{ .KindSuffix }}.json, e.g. deployment-apps-v1.json). Each file holds the
// kind's schema plus a local "definitions" section with everything it references, so $refs stay
// local and recursive types need no inlining. "Strict" means additionalProperties: false on
// every object that lists its properties, so a misspelled field is an error, as it would be for
// `kubectl apply --validate=strict`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const args = process.argv.slice(2);
const opts = { out: '', swagger: '', crds: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const v = args[++i];
  if (v === undefined) usage(`${a} needs a value`);
  if (a === '--out') opts.out = v;
  else if (a === '--swagger') opts.swagger = v;
  else if (a === '--crd') opts.crds.push(v);
  else usage(`unknown argument ${a}`);
}
if (!opts.out || (!opts.swagger && opts.crds.length === 0))
  usage('--out and --swagger or --crd are required');

function usage(msg) {
  process.stderr.write(
    `k8s-schemas: ${msg}\nusage: k8s-schemas.mjs --out DIR [--swagger FILE] [--crd FILE]...\n`,
  );
  process.exit(2);
}

/** kubeconform's file name for a kind: lower-case kind, first label of the group, version. */
function fileName(group, version, kind) {
  const apiVersion = group ? `${group}/${version}` : version;
  const [first, second] = apiVersion.split('/');
  let suffix = `-${first.split('.')[0].toLowerCase()}`;
  if (second !== undefined) suffix += `-${second.toLowerCase()}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const QUANTITY = { oneOf: [{ type: 'string' }, { type: 'number' }] };

/**
 * Copies a schema node into plain JSON Schema: drops descriptions and x-kubernetes extensions
 * (keeping what they mean), and closes objects that list their properties.
 */
function convert(node) {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  if (node.format === 'int-or-string' || node['x-kubernetes-int-or-string'] === true)
    return { ...INT_OR_STRING };
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' || key.startsWith('x-')) continue;
    if (key === 'properties' || key === 'patternProperties' || key === 'definitions') {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
    } else {
      out[key] = convert(value);
    }
  }
  const open = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.properties && out.additionalProperties === undefined && !open) out.additionalProperties = false;
  return out;
}

function refsOf(node, found = new Set()) {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) found.add(v.slice(14));
      else refsOf(v, found);
    }
  }
  return found;
}

mkdirSync(opts.out, { recursive: true });
let written = 0;

function write(name, schema) {
  writeFileSync(
    path.join(opts.out, name),
    JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }),
  );
  written++;
}

if (opts.swagger) {
  const spec = JSON.parse(readFileSync(opts.swagger, 'utf8'));
  const defs = {};
  for (const [name, def] of Object.entries(spec.definitions)) {
    if (name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') defs[name] = { ...INT_OR_STRING };
    else if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') defs[name] = { ...QUANTITY };
    else defs[name] = convert(def);
  }
  for (const [name, def] of Object.entries(spec.definitions)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    // One GVK per definition is a real kind; many (DeleteOptions, WatchEvent) are not objects
    // anyone renders. List kinds are skipped for the same reason.
    if (!Array.isArray(gvks) || gvks.length !== 1) continue;
    const { group, version, kind } = gvks[0];
    if (kind.endsWith('List')) continue;
    const needed = new Set();
    const queue = [...refsOf(defs[name])];
    while (queue.length) {
      const ref = queue.pop();
      if (needed.has(ref)) continue;
      if (!defs[ref]) throw new Error(`${name}: unresolved $ref ${ref}`);
      needed.add(ref);
      queue.push(...refsOf(defs[ref]));
    }
    const definitions = Object.fromEntries([...needed].sort().map((r) => [r, defs[r]]));
    write(fileName(group, version, kind), { ...defs[name], definitions });
  }
}

for (const file of opts.crds) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const crd = doc.toJS();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const v of crd.spec.versions) {
      if (!v.served || !v.schema?.openAPIV3Schema) continue;
      write(fileName(crd.spec.group, v.name, crd.spec.names.kind), convert(v.schema.openAPIV3Schema));
    }
  }
}

process.stdout.write(`k8s-schemas: wrote ${written} schemas to ${opts.out}\n`);
