// Writes docs/configuration.md from the zod schemas, so the docs cannot drift from the code.
// `npm run docs:config`; a test fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { configReference } from '@airlock/server';

const out = path.resolve(import.meta.dirname, '../docs/configuration.md');
writeFileSync(out, configReference());
process.stdout.write(`wrote ${out}\n`);
