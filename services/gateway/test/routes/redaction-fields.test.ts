// Rule: what leaves for an upstream that needs redaction is exactly what was scanned. Each
// case puts a canary in one field of one API's body (every field the review found leaking,
// plus keys and numbers) and sends it through the gateway to a real fake upstream in
// sensitive mode; the canary must never arrive, in any spelling. The normalisation cases
// spell a secret so that only NFKC / zero-width removal / whitespace folding reveals it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { normalizeText } from '../../src/domain/redaction/redact.js';
import { cloud, createTenant } from '../fixtures.js';
import { startFakeUpstream, type FakeUpstream } from '../fake-upstream.js';
import { post, startGateway, type GatewayHarness } from '../harness.js';

const EMAIL = 'canary.x7@corp.example';
const CARD = '4111111111111111';
const KEY_BODY = 'MIIEowIBAAKCAQEAq7BFUAkoH3ATvCanaryKeyMaterial0123456789';

type Case = [name: string, path: string, body: Record<string, unknown>];
const chat = (extra: Record<string, unknown>, messages?: unknown[]) => ({
  model: 'gpt-4o',
  messages: messages ?? [{ role: 'user', content: 'hello' }],
  ...extra,
});
const C = '/v1/chat/completions';

const FIELD_CASES: Case[] = [
  ['messages[].name', C, chat({}, [{ role: 'user', name: EMAIL, content: 'hi' }])],
  [
    'legacy function_call.arguments',
    C,
    chat({}, [
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: null,
        function_call: { name: 'send', arguments: JSON.stringify({ to: EMAIL }) },
      },
    ]),
  ],
  [
    'tool_calls[].function.arguments as an object',
    C,
    chat({}, [
      { role: 'user', content: 'hi' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'send', arguments: { to: EMAIL } } }],
      },
    ]),
  ],
  ['tool message content', C, chat({}, [{ role: 'tool', tool_call_id: 'c1', content: `result ${EMAIL}` }])],
  ['refusal parts', C, chat({}, [{ role: 'assistant', content: [{ type: 'refusal', refusal: EMAIL }] }])],
  ['assistant refusal field', C, chat({}, [{ role: 'assistant', content: null, refusal: EMAIL }])],
  ['prediction.content string', C, chat({ prediction: { type: 'content', content: EMAIL } })],
  [
    'prediction.content parts',
    C,
    chat({ prediction: { type: 'content', content: [{ type: 'text', text: EMAIL }] } }),
  ],
  [
    'tools[].function.description',
    C,
    chat({
      tools: [{ type: 'function', function: { name: 'f', description: `mail ${EMAIL}`, parameters: {} } }],
    }),
  ],
  [
    'tools[].function.parameters schema',
    C,
    chat({
      tools: [
        {
          type: 'function',
          function: {
            name: 'f',
            parameters: { type: 'object', properties: { to: { type: 'string', default: EMAIL } } },
          },
        },
      ],
    }),
  ],
  [
    'response_format json_schema',
    C,
    chat({
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 's',
          schema: { type: 'object', properties: { x: { enum: [EMAIL], description: EMAIL } } },
        },
      },
    }),
  ],
  ['stop string', C, chat({ stop: EMAIL })],
  ['stop array', C, chat({ stop: ['\n', EMAIL] })],
  ['user', C, chat({ user: EMAIL })],
  ['metadata value', C, chat({ metadata: { owner: EMAIL } })],
  ['metadata key', C, chat({ metadata: { [EMAIL]: 'x' } })],
  ['a card sent as a JSON number', C, chat({ metadata: { n: Number(CARD) } })],
  ['an unknown future field', C, chat({ some_new_field: { deep: [[{ text: EMAIL }]] } })],
  ['completions prompt string', '/v1/completions', { model: 'gpt', prompt: EMAIL }],
  ['completions nested prompt array', '/v1/completions', { model: 'gpt', prompt: [['a', [EMAIL]]] }],
  ['completions suffix', '/v1/completions', { model: 'gpt', prompt: 'x', suffix: EMAIL }],
  ['completions stop and user', '/v1/completions', { model: 'gpt', prompt: 'x', stop: [EMAIL], user: EMAIL }],
  ['embeddings input string', '/v1/embeddings', { model: 'e', input: EMAIL }],
  ['embeddings nested input array', '/v1/embeddings', { model: 'e', input: [['a', [EMAIL]]] }],
  ['embeddings user', '/v1/embeddings', { model: 'e', input: 'x', user: EMAIL }],
];

const content = (text: string) => chat({}, [{ role: 'user', content: text }]);
const NORMALISATION_CASES: Case[] = [
  ['full-width digits', C, content('card ４１１１ １１１１ １１１１ １１１１ ok')],
  ['NBSP-separated card', C, content('card 4111\u00a01111\u00a01111\u00a01111 ok')],
  ['thin-space-separated card', C, content('card 4111\u20091111\u20091111\u20091111 ok')],
  ['zero-width characters inside a card', C, content('card 4111\u200b1111\u200c1111\u2060' + '1111 ok')],
  ['zero-width character inside an email', C, content(`mail canary.x7\u200b@corp.example ok`)],
  ['full-width at sign', C, content('mail canary.x7＠corp.example ok')],
  ['private key without its END line', C, content(`-----BEGIN RSA PRIVATE KEY-----\n${KEY_BODY}\n`)],
];

/** Every spelling of a canary that must not arrive: raw, and after normalising and removing separators. */
function leaks(sent: string): string[] {
  const folded = normalizeText(sent).replace(/[\s\u200b-\u200f\u2060-]/g, '');
  const found: string[] = [];
  if (folded.includes(EMAIL)) found.push('email');
  if (folded.includes(CARD)) found.push('card');
  if (sent.includes(KEY_BODY)) found.push('private key');
  return found;
}

describe('redaction covers every forwarded string, in every API', () => {
  let gw: GatewayHarness;
  let up: FakeUpstream;
  let token: string;

  beforeAll(async () => {
    [gw, up] = await Promise.all([startGateway(), startFakeUpstream()]);
    const t = await createTenant(gw.server.runtime.db, {
      privacyMode: 'sensitive',
      models: { allow: { member: ['*'] } },
      upstreams: [cloud('openai', up.baseUrl)],
      redaction: { cloud: false }, // sensitive mode forces it anyway
    });
    token = t.token;
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), up?.close()]);
  });

  it('the canary detector check itself works (the unredacted body would leak)', () => {
    for (const [, , body] of [...FIELD_CASES, ...NORMALISATION_CASES]) {
      expect(leaks(JSON.stringify(body)).length).toBeGreaterThan(0);
    }
  });

  it.each([...FIELD_CASES, ...NORMALISATION_CASES])(
    '%s never reaches the upstream',
    async (_name, path, body) => {
      const before = up.received.length;
      const res = await post(`${gw.url}${path}`, token, body);
      expect(res.status).toBe(200);
      expect(up.received.length).toBe(before + 1);
      const sent = JSON.stringify(up.received.at(-1)!.body);
      expect(leaks(sent)).toEqual([]);
      expect(sent).toContain('[REDACTED:');
    },
  );
});
