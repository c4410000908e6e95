#!/usr/bin/env node
// A byte pipe between a TCP port and a Unix socket, so a network namespace that has only
// loopback can reach the test's Postgres and Redis: a Unix socket is a file, visible from
// every network namespace. scripts/test-image.sh runs the outer half in the host namespace
// (unix socket -> host 127.0.0.1:PORT); scripts/image/run-test.mjs the inner half inside the
// test namespace (127.0.0.1:PORT -> unix socket).
//   node scripts/image/bridge.mjs UNIX_PATH HOST:PORT      (outer half, runs until killed)
import net from 'node:net';
import { rmSync } from 'node:fs';

/** Listens with `listen` options, pipes each connection to `connect` options. */
export function bridge(listen, connect) {
  const server = net.createServer((inbound) => {
    const outbound = net.connect(connect);
    inbound.pipe(outbound).pipe(inbound);
    const end = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', end).on('close', end);
    outbound.on('error', end).on('close', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen, () => resolve(server));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [unixPath, hostPort] = process.argv.slice(2);
  const [host, port] = hostPort.split(':');
  rmSync(unixPath, { force: true });
  await bridge({ path: unixPath }, { host, port: Number(port) });
  process.on('SIGTERM', () => process.exit(0));
}
