// Preloaded (node --import) into a CLI that dials out without honouring HTTPS_PROXY (Node 20's
// fetch ignores it): every TCP connection to anything but loopback is refused before DNS, the
// way an egress firewall would, and its host:port is appended to AIRLOCK_DIALED_LOG, so the
// test can name each call home the CLI tried.
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const log = process.env.AIRLOCK_DIALED_LOG;
if (!log) throw new Error('AIRLOCK_DIALED_LOG is required');
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function (...args) {
  const first = args[0];
  const options = Array.isArray(first) ? first[0] : first;
  // connect(path) and connect({ path }) are local sockets; connect(port[, host]) is TCP.
  const tcp =
    typeof options === 'object' && options !== null
      ? options.path === undefined
        ? { host: options.host ?? 'localhost', port: options.port }
        : undefined
      : typeof options === 'number' || (typeof options === 'string' && /^\d+$/.test(options))
        ? { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: options }
        : undefined;
  if (tcp && !LOOPBACK.has(tcp.host)) {
    appendFileSync(log, `${tcp.host}:${tcp.port}\n`);
    const err = Object.assign(new Error(`connection to ${tcp.host}:${tcp.port} refused by the test`), {
      code: 'ECONNREFUSED',
    });
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return connect.apply(this, args);
};
