import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { codexConfig } from '../../../cli/src/snippets.js';
import { createTenant, onprem, type Tenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { startGateway, type GatewayHarness } from '../harness.js';
import { agentDirs, aiRequests, aiRequestsAfter, CLI_TEST_MS, proxyEnv, SECRET } from './agent-kit.js';
import { startRefusingProxy, type RefusingProxy } from './refusing-proxy.js';
import { codexLauncher, runCli } from './run-cli.js';
import { chatScript, laterRequestsText, responsesScript, type ToolStep } from './scripted-upstreams.js';

const FILE_TEXT = `written by Codex\naws_access_key_id = ${SECRET}\n`;

/** One shell call that writes the file and prints it (the output is the tool result), then finish. */
const SHELL_SCRIPT: ToolStep[] = [
  {
    tool: 'exec_command',
    input: { cmd: `printf '%s' '${FILE_TEXT}' > hello.txt && cat hello.txt` },
  },
];

/** apply_patch (a freeform custom tool in Codex) adds the file, a shell call prints it, then finish. */
const PATCH_SCRIPT: ToolStep[] = [
  {
    tool: 'apply_patch',
    input: {
      input: `*** Begin Patch\n*** Add File: hello.txt\n${FILE_TEXT.split('\n')
        .filter(Boolean)
        .map((l) => `+${l}`)
        .join('\n')}\n*** End Patch\n`,
    },
  },
  { tool: 'exec_command', input: { cmd: 'cat hello.txt' } },
];

/**
 * The provider block the docs give: the gateway's /v1 over the Responses wire API, the
 * Airlock token from an environment variable. The rest keeps Codex off the internet:
 * no update check, no analytics, no web search, no plugin or app sync (those fetch
 * from GitHub and chatgpt.com at start).
 */
// The config `airlock login` prints (services/cli), so the tested settings are the shipped ones.
function configToml(gatewayUrl: string, model: string): string {
  return codexConfig(gatewayUrl, model, 'AIRLOCK_TOKEN');
}

// The real Codex CLI (@openai/codex, `codex exec`) pointed at the gateway; one
// Responses-native and one chat-only upstream.
describe('Codex against the gateway', () => {
  let gw: GatewayHarness;
  let native: FakeUpstream;
  let chatOnly: FakeUpstream;
  let proxy: RefusingProxy;
  let tenant: Tenant;

  beforeAll(async () => {
    [gw, native, chatOnly, proxy] = await Promise.all([
      startGateway(),
      startFakeUpstream(responsesScript(SHELL_SCRIPT, 'done')),
      startFakeUpstream(chatScript(PATCH_SCRIPT, 'done', { preamble: 'Creating the file.' })),
      startRefusingProxy(),
    ]);
    tenant = await createTenant(gw.server.runtime.db, {
      privacyMode: 'sensitive',
      // Codex names OpenAI models: the policy maps them to on-prem ones.
      models: {
        allow: { member: ['gpt-oss-*', 'llama-*'] },
        aliases: { 'gpt-5*': 'gpt-oss-120b', 'gpt-5.5': 'llama-3-8b' },
      },
      upstreams: [
        onprem('native', native.baseUrl, { provider: 'vllm', models: ['gpt-oss-*'] }),
        onprem('chat', chatOnly.baseUrl, { provider: 'openai-compatible', models: ['llama-*'] }),
      ],
      redaction: { onprem: true },
      limits: { perUser: { requestsPerMinute: 1000 } },
    });
  }, CLI_TEST_MS);
  afterAll(async () => {
    await Promise.all([gw?.stop(), native?.close(), chatOnly?.close(), proxy?.close()]);
  }, CLI_TEST_MS);

  async function roundTrip(upstream: FakeUpstream, model: string, upstreamCalls: number) {
    const dirs = await agentDirs('codex');
    try {
      const codexHome = path.join(dirs.home, '.codex');
      await mkdir(codexHome);
      await writeFile(path.join(codexHome, 'config.toml'), configToml(gw.url, model));
      const before = upstream.received.length;
      const audited = (await aiRequests(gw, tenant.orgId)).length;
      const run = await runCli(
        [
          ...codexLauncher(),
          'exec',
          '--skip-git-repo-check',
          '--sandbox',
          'workspace-write',
          '--cd',
          dirs.work,
          'write hello.txt',
        ],
        {
          cwd: dirs.work,
          timeoutMs: 25_000,
          env: {
            HOME: dirs.home,
            CODEX_HOME: codexHome,
            AIRLOCK_TOKEN: tenant.token,
            ...proxyEnv(proxy.url),
          },
        },
      );
      expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout.trim().split('\n').at(-1)).toBe('done');
      expect(await readFile(path.join(dirs.work, 'hello.txt'), 'utf8')).toBe(FILE_TEXT);

      const calls = upstream.received.slice(before);
      expect(calls).toHaveLength(upstreamCalls); // one per tool call, then the final answer
      const events = await aiRequestsAfter(gw, tenant.orgId, audited, calls.length);
      expect(events.map((e) => e.details)).toEqual(
        calls.map(() =>
          expect.objectContaining({
            endpoint: 'responses',
            clientTool: 'codex',
            requestedModel: model,
            status: 200,
            stream: true,
          }),
        ),
      );
      expect(events.at(-1)!.details.redactions).toBeDefined();
      expect(laterRequestsText(calls).includes(SECRET)).toBe(false);
      expect(proxy.seen).toEqual([]);
      return calls;
    } finally {
      await dirs.remove();
    }
  }

  it(
    'runs a shell tool through a Responses-native upstream, passed through',
    async () => {
      const calls = await roundTrip(native, 'gpt-5-codex', 2);
      expect(calls.map((c) => c.path)).toEqual(['/v1/responses', '/v1/responses']);
      expect(calls.map((c) => c.body.model)).toEqual(['gpt-oss-120b', 'gpt-oss-120b']);
      expect(calls[0]!.body.store).toBe(false);
      const output = (calls[1]!.body.input as { type: string; output?: unknown }[]).find(
        (i) => i.type === 'function_call_output',
      );
      expect(JSON.stringify(output)).toContain('written by Codex');
      expect(JSON.stringify(output)).toContain('[REDACTED:');
    },
    CLI_TEST_MS,
  );

  it(
    'applies a patch (a custom tool) and runs a shell tool through a chat-only upstream, translated both ways',
    async () => {
      const calls = await roundTrip(chatOnly, 'gpt-5.5', 3);
      expect(calls.map((c) => c.path)).toEqual(Array(3).fill('/v1/chat/completions'));
      expect(calls[0]!.body.model).toBe('llama-3-8b'); // the exact alias beats gpt-5*
      // Codex's freeform apply_patch reaches the chat server as a function taking one string.
      const tools = calls[0]!.body.tools as { function: { name: string; parameters: unknown } }[];
      expect(tools.find((t) => t.function.name === 'apply_patch')!.function.parameters).toMatchObject({
        properties: { input: { type: 'string' } },
        required: ['input'],
      });
      // Its instructions come as several developer messages: one system message upstream.
      const messages = calls[1]!.body.messages as {
        role: string;
        content: unknown;
        tool_calls?: unknown[];
      }[];
      expect(messages.filter((m) => m.role === 'system')).toHaveLength(1);
      expect(messages[0]!.role).toBe('system');
      // The preamble and the patch call went back as the one assistant turn they came from.
      const turn = messages.find((m) => m.role === 'assistant')!;
      expect(turn.content).toBe('Creating the file.');
      const [call] = turn.tool_calls as { id: string; function: { name: string; arguments: string } }[];
      expect(call).toMatchObject({ id: 'call_0', function: { name: 'apply_patch' } });
      const patch = (JSON.parse(call!.function.arguments) as { input: string }).input;
      expect(patch).toBe(
        (PATCH_SCRIPT[0]!.input.input as string).replace(SECRET, '[REDACTED:aws_access_key]'),
      );
      const result = (calls[2]!.body.messages as { role: string; content: string }[]).at(-1)!;
      expect(result.role).toBe('tool');
      expect(result.content).toContain('written by Codex');
      expect(result.content).toContain('[REDACTED:');
    },
    CLI_TEST_MS,
  );
});
