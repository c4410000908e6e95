// CPU per log line of createLogger (redaction included), for the lines services write most:
// an access-log line, a refusal's, an error with its cause, a child logger's. Lines go to a
// stream that drops them, so this is the cost of building a line, not of writing it. Not a
// test: numbers depend on the machine.
//
//   node_modules/.bin/tsx --conditions=@airlock/source scripts/bench/log-lines.ts [--seconds 2]
// BENCH_COMMON_SRC=dir measures another copy of services/common/src (a baseline checkout).
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type * as LoggerModule from '../../services/common/src/logger.js';

const src = path.resolve(
  process.env.BENCH_COMMON_SRC ?? path.join(import.meta.dirname, '../../services/common/src'),
);
const { createLogger } = (await import(path.join(src, 'logger.ts'))) as typeof LoggerModule;
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '2' } } });

const dropped = new Writable({
  write(_chunk, _enc, cb) {
    cb();
  },
});
const logger = createLogger({ level: 'info', service: 'bench', destination: dropped });
const child = logger.child({ module: 'gateway', orgId: '0193b1e4-7d1c-7c1a-9d7e-1234567890ab' });
const requestId = '0193b1e4-7d1c-7c1a-9d7e-1234567890ab';
const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:8000'), { code: 'ECONNREFUSED' });

const LINES: [string, () => void][] = [
  [
    'access log, success',
    () =>
      logger.info(
        { requestId, method: 'POST', path: '/v1/chat/completions', status: 200, ms: 1.234 },
        'request',
      ),
  ],
  [
    'access log, refusal',
    () =>
      logger.info(
        { requestId, method: 'POST', path: '/v1/chat/completions', status: 429, ms: 0.8 },
        'request',
      ),
  ],
  [
    'error with cause',
    () => logger.error({ err: cause, requestId, code: 'upstream_error' }, 'request failed'),
  ],
  ['child logger', () => child.warn({ upstream: { name: 'vllm', state: 'open' } }, 'breaker opened')],
];

process.stdout.write('| line | lines/s | CPU µs/line |\n|---|---|---|\n');
for (const [name, line] of LINES) {
  for (const ms of [300, Number(values.seconds) * 1000]) {
    let n = 0;
    const cpu = process.cpuUsage();
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (let i = 0; i < 100; i++) line();
      n += 100;
    }
    const used = process.cpuUsage(cpu);
    if (ms === 300) continue; // warm-up
    const us = (used.user + used.system) / n;
    process.stdout.write(`| ${name} | ${Math.round(n / (ms / 1000))} | ${us.toFixed(2)} |\n`);
  }
}
