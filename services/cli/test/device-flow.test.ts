// The CLI's polling loop against a scripted token endpoint on 127.0.0.1: it keeps the
// interval, adds 5 s per slow_down (RFC 8628 §3.5), and stops with a clear message on the
// final answers. The sleep is recorded rather than waited for.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { freePort } from '@airlock/common/testing';
import { CliError, pollForToken, requestCode } from '../src/device-flow.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A token endpoint answering each poll with the next scripted body (400 unless it has a token). */
async function scripted(answers: object[]) {
  const polls: URLSearchParams[] = [];
  const port = await freePort();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      polls.push(new URLSearchParams(body));
      const answer = answers[Math.min(polls.length - 1, answers.length - 1)]!;
      res.writeHead('access_token' in answer ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, polls };
}

const code = {
  device_code: 'ald_x',
  user_code: 'BCDF-GHJK',
  verification_uri: 'http://x/device',
  verification_uri_complete: 'http://x/device?user_code=BCDF-GHJK',
  expires_in: 600,
  interval: 5,
};

describe('pollForToken', () => {
  it('waits the interval, adds 5 s on each slow_down, rides out an outage and returns the token', async () => {
    const { url, polls } = await scripted([
      { error: 'authorization_pending' },
      { error: 'slow_down' },
      { error: 'slow_down', interval: 20 },
      { error: 'temporarily_unavailable' },
      { access_token: 'al_token', token_type: 'Bearer', expires_in: 60, token_id: 'id' },
    ]);
    const waits: number[] = [];
    const issued = await pollForToken(url, code, { sleep: async (ms: number) => void waits.push(ms) });
    expect(issued.access_token).toBe('al_token');
    expect(waits).toEqual([5_000, 5_000, 10_000, 20_000, 20_000]);
    expect(polls[0]!.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:device_code');
    expect(polls[0]!.get('client_id')).toBe('airlock-cli');
    expect(polls[0]!.get('device_code')).toBe('ald_x');
  });

  it.each([
    [{ error: 'access_denied' }, 'denied in the browser'],
    [{ error: 'expired_token' }, 'expired before it was approved'],
    [
      { error: 'invalid_grant', error_description: 'unknown device_code' },
      'invalid_grant (unknown device_code)',
    ],
  ])('stops on %j with a clear message', async (answer, message) => {
    const { url } = await scripted([answer]);
    const failure = pollForToken(url, code, { sleep: async () => undefined });
    await expect(failure).rejects.toBeInstanceOf(CliError);
    await expect(failure).rejects.toThrow(message);
  });

  it('gives up by itself once expires_in has passed', async () => {
    const { url, polls } = await scripted([{ error: 'authorization_pending' }]);
    let now = 0;
    const failure = pollForToken(url, code, {
      now: () => now,
      sleep: async (ms: number) => void (now += ms),
    });
    await expect(failure).rejects.toThrow('expired before it was approved');
    expect(polls).toHaveLength(119); // 600 s / 5 s, the last sleep lands on the deadline
  });

  it('says so when the server is not Airlock', async () => {
    const port = await freePort();
    server = createServer((_req, res) => res.end('<html>'));
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    await expect(requestCode(`http://127.0.0.1:${port}`, null)).rejects.toThrow(
      'did not answer like Airlock',
    );
  });
});
