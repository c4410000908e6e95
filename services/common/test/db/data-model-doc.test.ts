import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

// docs/data-model.md states each table's owner once; the schema names it on every model. This
// keeps the two the same set of tables with the same owners (a dropped or added table, or an
// owner changed in one place only, fails here).
const root = path.resolve(import.meta.dirname, '../../../..');
const schema = readFileSync(path.join(root, 'prisma/schema.prisma'), 'utf8');
const doc = readFileSync(path.join(root, 'docs/data-model.md'), 'utf8');

/** table -> owner, from each model's `/// owner: X.` comment and its @@map. */
function schemaOwners(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of schema.matchAll(/\/\/\/ owner: (\w+)\.[^]*?\nmodel \w+ \{([^]*?)\n\}/g)) {
    const table = /@@map\("(\w+)"\)/.exec(m[2]!)?.[1];
    if (table) out[table] = m[1]!;
  }
  return out;
}

/** table -> owner, from the first column pair of a table in the doc whose header starts with `| table | owner |`. */
function docOwners(header: string): Record<string, string> {
  const start = doc.indexOf(header);
  expect(start).toBeGreaterThanOrEqual(0);
  const out: Record<string, string> = {};
  for (const line of doc.slice(start).split('\n').slice(2)) {
    const cells = /^\| `(\w+)` \| (\w+) \|/.exec(line);
    if (!cells) break;
    out[cells[1]!] = cells[2]!;
  }
  return out;
}

describe('docs/data-model.md', () => {
  it('lists every table of the schema with the owner the schema names, and no other', () => {
    const owners = schemaOwners();
    expect(Object.keys(owners).length).toBeGreaterThan(10);
    expect(docOwners('| table | owner | org-scoped (RLS) | notes |')).toEqual(owners);
  });

  it('gives the same owner in its who-else table as in the schema', () => {
    const owners = schemaOwners();
    for (const [table, owner] of Object.entries(
      docOwners('| table | owner | also read by | also written by |'),
    )) {
      expect({ table, owner }).toEqual({ table, owner: owners[table] });
    }
  });
});
