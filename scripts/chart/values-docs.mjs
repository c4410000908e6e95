#!/usr/bin/env node
// Writes the values reference of charts/airlock/README.md from the `# --` comments of
// values.yaml, the way helm-docs reads them (no Go tool needed): a key's description is the
// comment block above it from its `# --` line on. A key whose value is a map is a section when
// some key inside has its own `# --` comment, else one row holding the whole object (resources,
// security contexts). Everything between the README's two markers is rewritten; the text around
// them is written by hand. A key without a `# --` comment is an error: every key is documented.
//
// Usage: node scripts/chart/values-docs.mjs [--check] [--chart <dir>]
//   --check   write nothing; exit 1 when the README differs from what values.yaml gives
//   --chart   the chart folder (default charts/airlock), so a test can run it on a copy
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';

const BEGIN =
  '<!-- values:begin — generated from values.yaml by scripts/chart/values-docs.mjs; edit the `# --` comments there, then run it -->';
const END = '<!-- values:end -->';

function parseArgs(argv) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const opts = { check: false, chart: path.join(root, 'charts/airlock') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') opts.check = true;
    else if (argv[i] === '--chart' && argv[i + 1]) opts.chart = path.resolve(argv[++i]);
    else throw new Error(`usage: values-docs.mjs [--check] [--chart <dir>] (unknown argument ${argv[i]})`);
  }
  return opts;
}

/** The description in a comment block: its text from the last `# --` line on, or null. */
function description(comment) {
  if (!comment) return null;
  const lines = comment.split('\n');
  let start = -1;
  lines.forEach((line, i) => {
    if (/^ ?-- ?/.test(line)) start = i;
  });
  if (start < 0) return null;
  return lines
    .slice(start)
    .map((line, i) => (i === 0 ? line.replace(/^ ?-- ?/, '') : line.replace(/^ /, '')).trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** The comment above each key of a map: the yaml parser keeps the first key's on the map. */
function commentOf(map, index) {
  const pair = map.items[index];
  return pair.key.commentBefore ?? (index === 0 ? map.commentBefore : undefined);
}

function hasDocumentedKey(node) {
  if (!isMap(node)) return false;
  return node.items.some(
    (pair, i) => description(commentOf(node, i)) !== null || hasDocumentedKey(pair.value),
  );
}

function typeOf(node) {
  if (isMap(node)) return 'object';
  if (isSeq(node)) return 'list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    if (typeof v === 'boolean') return 'bool';
    if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
    return 'string';
  }
  return 'unknown';
}

/** A table cell: one line, pipes escaped so they do not end the cell. */
const cell = (text) => text.replace(/\|/g, '\\|');

/** Prose for Markdown: `<release>` outside code spans would be read as an HTML tag and vanish. */
const prose = (text) =>
  text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&/g, '&amp;').replace(/</g, '&lt;')))
    .join('');

function defaultOf(node) {
  const json = JSON.stringify(node.toJSON());
  return `\`${cell(json)}\``;
}

/**
 * Rows of one section: [{key, type, default, description}] for every leaf or whole object
 * under `map`, in file order. Keys without a description are collected in `missing`.
 */
function rowsOf(map, prefix, missing) {
  const rows = [];
  map.items.forEach((pair, i) => {
    const key = `${prefix}${pair.key.value}`;
    const text = description(commentOf(map, i));
    if (isMap(pair.value) && hasDocumentedKey(pair.value)) {
      if (text !== null) rows.push({ key, type: 'object', default: '', description: text });
      rows.push(...rowsOf(pair.value, `${key}.`, missing));
      return;
    }
    if (text === null) missing.push(key);
    rows.push({ key, type: typeOf(pair.value), default: defaultOf(pair.value), description: text ?? '' });
  });
  return rows;
}

function table(rows) {
  const out = ['| key | type | default | description |', '|---|---|---|---|'];
  for (const r of rows)
    out.push(`| \`${r.key}\` | ${r.type} | ${r.default} | ${cell(prose(r.description))} |`);
  return out.join('\n');
}

/** The generated part of the README, markers included. */
function valuesReference(valuesYaml) {
  const doc = parseDocument(valuesYaml);
  if (doc.errors.length > 0) throw new Error(`values.yaml does not parse: ${doc.errors[0].message}`);
  if (!isMap(doc.contents)) throw new Error('values.yaml is not a map');
  const top = doc.contents;
  const missing = [];
  const parts = [BEGIN, ''];
  let loose = [];
  const flush = () => {
    if (loose.length > 0) parts.push(table(loose), '');
    loose = [];
  };
  top.items.forEach((pair, i) => {
    const key = String(pair.key.value);
    const text = description(commentOf(top, i));
    if (isMap(pair.value) && hasDocumentedKey(pair.value)) {
      flush();
      if (text === null) missing.push(key);
      parts.push(`### \`${key}\``, '');
      if (text) parts.push(prose(text), '');
      parts.push(table(rowsOf(pair.value, `${key}.`, missing)), '');
      return;
    }
    // Top-level leaves (nameOverride, …) share one table until the next section.
    loose.push(...rowsOf({ items: [pair], commentBefore: commentOf(top, i) }, '', missing));
  });
  flush();
  parts.push(END);
  if (missing.length > 0) {
    throw new Error(`values.yaml: no \`# --\` comment above ${missing.map((k) => `\`${k}\``).join(', ')}`);
  }
  return parts.join('\n');
}

/** The README with its generated part replaced. */
function rewriteReadme(readme, reference) {
  const begin = readme.indexOf('<!-- values:begin');
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) {
    throw new Error(
      `README.md has no values markers (a line starting "<!-- values:begin" and a later "${END}")`,
    );
  }
  return readme.slice(0, begin) + reference + readme.slice(end + END.length);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const readmePath = path.join(opts.chart, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const next = rewriteReadme(
    readme,
    valuesReference(readFileSync(path.join(opts.chart, 'values.yaml'), 'utf8')),
  );
  const rel = path.relative(process.cwd(), readmePath) || readmePath;
  if (opts.check) {
    if (next !== readme) {
      process.stderr.write(
        `${rel} is stale: a \`# --\` comment or default in values.yaml changed. Run node scripts/chart/values-docs.mjs\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`${rel}: values reference up to date\n`);
    return;
  }
  if (next !== readme) writeFileSync(readmePath, next);
  process.stdout.write(`${rel}: values reference ${next === readme ? 'already up to date' : 'written'}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`values-docs: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
