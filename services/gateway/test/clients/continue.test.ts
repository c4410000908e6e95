import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { continueConfig } from '../../../cli/src/snippets.js';
import { addMemberWithToken, createTenant, onprem, type Tenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { revokeEverywhere, startGateway, type GatewayHarness } from '../harness.js';
import { agentDirs, aiRequests, aiRequestsAfter, CLI_TEST_MS, proxyEnv, SECRET } from './agent-kit.js';
import { startRefusingProxy, type RefusingProxy } from './refusing-proxy.js';
import { continueLauncher, runCli } from './run-cli.js';
import { chatScript, laterRequestsText, type ToolStep } from './scripted-upstreams.js';

const FILE_TEXT = `written by Continue\naws_access_key_id = ${SECRET}\n`;

/** One Bash call that writes the file and prints it (the output is the tool result), then finish. */
const SHELL_SCRIPT: ToolStep[] = [
  { tool: 'Bash', input: { command: `printf '%s' '${FILE_TEXT}' > hello.txt && cat hello.txt` } },
];

const MODEL = 'qwen3-coder-30b';

/**
 * What Continue 1.5.47 dials besides the gateway, whatever its settings: at every start it asks
 * api.continue.dev for its latest version (GET /cn/info with a machine id) through Node's
 * fetch, which does not honour HTTPS_PROXY, so the refusing proxy never sees it. The tests
 * refuse it at connect time instead (refuse-outside.mjs) and check it is the only one.
 */
const CALLS_HOME = ['api.continue.dev:443'];
const REFUSE_OUTSIDE = path.join(import.meta.dirname, 'refuse-outside.mjs');

// The real Continue CLI (@continuedev/cli, `cn -p`, headless) pointed at the gateway's /v1 as
// an OpenAI provider, with the config `airlock login` prints; a chat-completions upstream.
describe('Continue against the gateway', () => {
  let gw: GatewayHarness;
  let upstream: FakeUpstream;
  let proxy: RefusingProxy;
  let tenant: Tenant;

  beforeAll(async () => {
    [gw, upstream, proxy] = await Promise.all([
      startGateway(),
      startFakeUpstream(chatScript(SHELL_SCRIPT, 'done', { preamble: 'Writing the file.' })),
      startRefusingProxy(),
    ]);
    tenant = await createTenant(gw.server.runtime.db, {
      privacyMode: 'sensitive',
      models: { allow: { member: ['qwen3-*'] } },
      upstreams: [onprem('chat', upstream.baseUrl, { provider: 'openai-compatible', models: ['qwen3-*'] })],
      redaction: { onprem: true },
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
  }, CLI_TEST_MS);
  afterAll(async () => {
    await Promise.all([gw?.stop(), upstream?.close(), proxy?.close()]);
  }, CLI_TEST_MS);

  /**
   * `cn -p PROMPT` in a fresh home and workdir, removed afterwards, the config where the docs
   * put it (~/.continue/config.yaml), the token in AIRLOCK_API_KEY only; every connection
   * beyond loopback refused, and none but the known call home tried. `written` is hello.txt
   * as the run left it, if it did.
   */
  async function runContinue(token: string, prompt: string, model = MODEL) {
    const dirs = await agentDirs('continue');
    try {
      await mkdir(path.join(dirs.home, '.continue'));
      await writeFile(path.join(dirs.home, '.continue', 'config.yaml'), continueConfig(gw.url, model));
      const dialedLog = path.join(dirs.home, 'dialed.log');
      const run = await runCli(
        [...continueLauncher(['--import', REFUSE_OUTSIDE]), '-p', prompt, '--allow', 'Bash'],
        {
          cwd: dirs.work,
          timeoutMs: 25_000,
          env: {
            HOME: dirs.home,
            AIRLOCK_API_KEY: token,
            AIRLOCK_DIALED_LOG: dialedLog,
            ...proxyEnv(proxy.url),
          },
        },
      );
      const dialed = existsSync(dialedLog) ? (await readFile(dialedLog, 'utf8')).trim().split('\n') : [];
      expect(dialed).toEqual(CALLS_HOME);
      expect(proxy.seen).toEqual([]);
      const output = path.join(dirs.work, 'hello.txt');
      return { run, written: existsSync(output) ? await readFile(output, 'utf8') : undefined };
    } finally {
      await dirs.remove();
    }
  }

  it(
    'runs a shell tool through a chat-completions upstream, the tool output redacted on its way back',
    async () => {
      const before = upstream.received.length;
      const audited = (await aiRequests(gw, tenant.orgId)).length;
      const { run, written } = await runContinue(tenant.token, 'write hello.txt');
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout.trim().split('\n').at(-1)).toBe('done');
      expect(written).toBe(FILE_TEXT);

      const calls = upstream.received.slice(before);
      expect(calls.map((c) => c.path)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
      expect(calls.map((c) => c.body.model)).toEqual([MODEL, MODEL]);
      expect(calls.map((c) => c.body.stream)).toEqual([true, true]);
      // The Airlock token stays at the gateway.
      expect(calls.map((c) => c.headers.authorization)).toEqual([undefined, undefined]);
      const tools = (calls[0]!.body.tools as { function: { name: string } }[]).map((t) => t.function.name);
      expect(tools).toContain('Bash');
      // The call went back as the assistant turn it came from; the shell's output, with the
      // key in it, reached the upstream only redacted.
      const messages = calls[1]!.body.messages as {
        role: string;
        content: unknown;
        tool_calls?: { id: string; function: { name: string } }[];
      }[];
      const turn = messages.find((m) => m.role === 'assistant')!;
      expect(turn.tool_calls?.map((c) => [c.id, c.function.name])).toEqual([['call_0', 'Bash']]);
      const result = messages.find((m) => m.role === 'tool')!;
      expect(JSON.stringify(result.content)).toContain('written by Continue');
      expect(JSON.stringify(result.content)).toContain('[REDACTED:aws_access_key]');
      expect(laterRequestsText(calls).includes(SECRET)).toBe(false);

      const events = await aiRequestsAfter(gw, tenant.orgId, audited, calls.length);
      expect(events.map((e) => e.details)).toEqual(
        calls.map(() =>
          expect.objectContaining({
            endpoint: 'chat.completions',
            clientTool: 'continue', // from the config's User-Agent
            model: MODEL,
            status: 200,
            stream: true,
          }),
        ),
      );
      // The key twice (in the command of the assistant's call and in its output) and the
      // commit-signature address in Continue's own system prompt.
      expect(events.at(-1)!.details.redactions).toEqual({ aws_access_key: 2, email: 1 });
    },
    CLI_TEST_MS,
  );

  it(
    'stops at a revoked token with the gateway’s 401, and no request reaches the upstream',
    async () => {
      const member = await addMemberWithToken(gw.server.runtime.db, tenant.orgId, 'member');
      await revokeEverywhere(gw, member.token, member.tokenId);
      const before = upstream.received.length;
      const { run, written } = await runContinue(member.token, 'write hello.txt');
      expect(written).toBeUndefined();
      // cn exits 1 with the gateway's own message.
      expect(run.code).toBe(1);
      expect(JSON.parse(run.stderr.trim())).toEqual({
        status: 'error',
        message: '401 missing, invalid, expired or revoked credentials',
      });
      expect(upstream.received.length).toBe(before);
    },
    CLI_TEST_MS,
  );

  it(
    'is refused a model the policy does not allow (403, audited as denied), and no request reaches the upstream',
    async () => {
      const before = upstream.received.length;
      const audited = (await aiRequests(gw, tenant.orgId)).length;
      const { run, written } = await runContinue(tenant.token, 'write hello.txt', 'gpt-4o');
      expect(written).toBeUndefined();
      expect(run.code).toBe(1);
      const shown = JSON.parse(run.stderr.trim()) as { status: string; message: string };
      expect(shown).toEqual({ status: 'error', message: expect.stringMatching(/^403 .*gpt-4o/) });
      expect(upstream.received.length).toBe(before);
      const [event] = await aiRequestsAfter(gw, tenant.orgId, audited, 1);
      expect(event!.outcome).toBe('denied');
      expect(event!.details).toMatchObject({
        endpoint: 'chat.completions',
        model: 'gpt-4o',
        status: 403,
        errorCode: 'model_forbidden',
      });
    },
    CLI_TEST_MS,
  );
});
