#!/usr/bin/env node
// @ts-check
// The `airlock` command. Plain JavaScript on purpose: it runs with nothing but Node, from a
// checkout (`npx airlock login`) or an installed package, with no build step.
import { main } from '../src/main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
