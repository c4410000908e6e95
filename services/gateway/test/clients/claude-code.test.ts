import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTenant, onprem, type Tenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { startGateway, type GatewayHarness } from '../harness.js';
import {
  agentDirs,
  aiRequests,
  aiRequestsAfter,
  CLI_TEST_MS,
  proxyEnv,
  SECRET,
  type AgentDirs,
} from './agent-kit.js';
import { startRefusingProxy, type RefusingProxy } from './refusing-proxy.js';
import { claudeBinary, runCli } from './run-cli.js';
import { chatScript, laterRequestsText, messagesScript, type ToolStep } from './scripted-upstreams.js';

const FILE_TEXT = `written by Claude Code\naws_access_key_id = ${SECRET}\n`;

/** Write a file, read it back (its content comes back as a tool result), then finish. */
function script(work: string): ToolStep[] {
  const file = path.join(work, 'hello.txt');
  return [
    { tool: 'Write', input: { file_path: file, content: FILE_TEXT } },
    { tool: 'Read', input: { file_path: file } },
  ];
}

// The real Claude Code CLI (@anthropic-ai/claude-code, headless `claude -p`) pointed at the
// gateway with nothing but documented settings; one Messages-native and one chat-only upstream.
describe('Claude Code against the gateway', () => {
  let gw: GatewayHarness;
  let native: FakeUpstream;
  let chatOnly: FakeUpstream;
  let proxy: RefusingProxy;
  let tenant: Tenant;

  beforeAll(async () => {
    [gw, native, chatOnly, proxy] = await Promise.all([
      startGateway(),
      startFakeUpstream(),
      startFakeUpstream(),
      startRefusingProxy(),
    ]);
    tenant = await createTenant(gw.server.runtime.db, {
      privacyMode: 'sensitive',
      // Claude Code only sends Claude model names: the policy maps them to on-prem models.
      models: {
        allow: { member: ['qwen3-*', 'llama-*'] },
        aliases: { 'claude-*': 'qwen3-coder', 'claude-haiku-*': 'llama-3-8b' },
      },
      upstreams: [
        onprem('native', native.baseUrl, { provider: 'vllm', models: ['qwen3-*'] }),
        onprem('chat', chatOnly.baseUrl, { provider: 'openai-compatible', models: ['llama-*'] }),
      ],
      redaction: { onprem: true },
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
  }, CLI_TEST_MS);
  afterAll(async () => {
    await Promise.all([gw?.stop(), native?.close(), chatOnly?.close(), proxy?.close()]);
  }, CLI_TEST_MS);

  /** `claude -p`, headless, with its own HOME and every kind of non-essential traffic off. */
  async function claude(model: string, home: string, work: string, auth: Record<string, string>) {
    return runCli(
      [
        claudeBinary(),
        '-p',
        'write hello.txt, then read it back',
        '--model',
        model,
        '--output-format',
        'json',
        '--allowedTools',
        'Write,Read',
        '--permission-mode',
        'acceptEdits',
      ],
      {
        cwd: work,
        timeoutMs: 25_000,
        env: {
          HOME: home,
          ANTHROPIC_BASE_URL: gw.url,
          ...auth,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
          DISABLE_ERROR_REPORTING: '1',
          ...proxyEnv(proxy.url),
        },
      },
    );
  }

  async function roundTrip(
    upstream: FakeUpstream,
    model: string,
    auth: Record<string, string>,
    setup?: (dirs: AgentDirs) => Promise<void>,
  ) {
    const dirs = await agentDirs('claude');
    await setup?.(dirs);
    try {
      const before = upstream.received.length;
      const audited = (await aiRequests(gw, tenant.orgId)).length;
      upstream.behave(
        upstream === native
          ? messagesScript(script(dirs.work), 'done')
          : chatScript(script(dirs.work), 'done', { preamble: 'Writing the file.' }),
      );
      const run = await claude(model, dirs.home, dirs.work, auth);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      const result = JSON.parse(run.stdout) as { result: string; is_error: boolean; num_turns: number };
      expect(result).toMatchObject({ result: 'done', is_error: false, num_turns: 3 });
      expect(await readFile(path.join(dirs.work, 'hello.txt'), 'utf8')).toBe(FILE_TEXT);

      const calls = upstream.received.slice(before);
      expect(calls).toHaveLength(3); // Write, Read, final answer: no side requests
      const events = await aiRequestsAfter(gw, tenant.orgId, audited, calls.length);
      expect(events.map((e) => e.details)).toEqual(
        calls.map(() =>
          expect.objectContaining({
            endpoint: 'messages',
            clientTool: 'claude-code',
            requestedModel: expect.stringMatching(/^claude-/),
            status: 200,
            stream: true,
          }),
        ),
      );
      // The file came back as the Read tool's result, secret included: the upstream got it redacted.
      const messages = calls.at(-1)!.body.messages as { role: string }[];
      const lastTurn = JSON.stringify(
        messages.slice(messages.map((m) => m.role).lastIndexOf('assistant') + 1),
      );
      expect(lastTurn).toContain('written by Claude Code');
      expect(lastTurn).toContain('[REDACTED:');
      expect(laterRequestsText(calls).includes(SECRET)).toBe(false); // nor its echo in the Write call
      expect(events.at(-1)!.details.redactions).toBeDefined();
      expect(proxy.seen).toEqual([]);
      return calls;
    } finally {
      await dirs.remove();
    }
  }

  it(
    'writes a file through a Messages-native upstream (ANTHROPIC_AUTH_TOKEN), passed through',
    async () => {
      // `sonnet` is Claude Code's own shorthand: it sends the full name (claude-sonnet-5-5 in this
      // version, with a "system" message among the messages), which the policy alias catches.
      const calls = await roundTrip(native, 'sonnet', { ANTHROPIC_AUTH_TOKEN: tenant.token });
      expect(calls.map((c) => c.path)).toEqual(['/v1/messages', '/v1/messages', '/v1/messages']);
      expect(calls.map((c) => c.body.model)).toEqual(['qwen3-coder', 'qwen3-coder', 'qwen3-coder']);
      const roles = (calls[0]!.body.messages as { role: string }[]).map((m) => m.role);
      expect(roles).toContain('system'); // passed through as Claude Code sent it
      expect(calls[0]!.headers['anthropic-version']).toBe('2023-06-01');
      expect(calls[0]!.headers.authorization).toBeUndefined(); // the Airlock token stays at the gateway
    },
    CLI_TEST_MS,
  );

  it(
    'writes a file through a chat-only upstream (ANTHROPIC_API_KEY), translated both ways',
    async () => {
      const calls = await roundTrip(chatOnly, 'haiku', {
        ANTHROPIC_API_KEY: tenant.token,
        CLAUDE_CODE_MAX_OUTPUT_TOKENS: '4096', // a small on-prem model's budget (the default asks 32000)
      });
      expect(calls.map((c) => c.path)).toEqual([
        '/v1/chat/completions',
        '/v1/chat/completions',
        '/v1/chat/completions',
      ]);
      expect(calls[0]!.body.model).toBe('llama-3-8b'); // claude-haiku-* beats claude-*
      // The system prompt, then Claude Code's system message after the user's: both as chat system messages.
      const roles = (calls[0]!.body.messages as { role: string }[]).map((m) => m.role);
      expect(roles.filter((r) => r === 'system').length).toBeGreaterThanOrEqual(2);
      expect(calls.map((c) => c.body.max_tokens)).toEqual([4096, 4096, 4096]);
      const tools = (calls[0]!.body.tools as { function: { name: string } }[]).map((t) => t.function.name);
      expect(tools).toEqual(expect.arrayContaining(['Write', 'Read']));
      // The preamble, the thinking and the call came back as Messages blocks; Claude Code sent
      // the turn back and the upstream got it as the one assistant message it was.
      const turn = (
        calls[1]!.body.messages as { role: string; content: unknown; tool_calls?: unknown[] }[]
      ).find((m) => m.role === 'assistant')!;
      expect(turn.content).toBe('Writing the file.');
      expect(turn.tool_calls).toEqual([
        expect.objectContaining({
          id: 'call_0',
          type: 'function',
          function: expect.objectContaining({ name: 'Write' }),
        }),
      ]);
    },
    CLI_TEST_MS,
  );

  it(
    'takes the token from an apiKeyHelper in settings.json (what `airlock login` sets up), no token in the environment',
    async () => {
      const calls = await roundTrip(native, 'sonnet', {}, async (dirs) => {
        // The helper prints the token, as `airlock token` does.
        const helper = path.join(dirs.home, 'airlock-token.sh');
        await writeFile(helper, `#!/bin/sh\necho '${tenant.token}'\n`);
        await chmod(helper, 0o755);
        await mkdir(path.join(dirs.home, '.claude'));
        await writeFile(
          path.join(dirs.home, '.claude', 'settings.json'),
          JSON.stringify({ apiKeyHelper: helper }),
        );
      });
      expect(calls).toHaveLength(3);
    },
    CLI_TEST_MS,
  );
});
