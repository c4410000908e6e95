import { describe, expect, it } from '@jest/globals';
import { AirlockError } from '@airlock/common';
import { chatToResponse } from '../../../src/protocols/responses/from-chat.js';
import { OPENAI_RESPONSES } from '../../../src/protocols/responses/index.js';
import { ChatToResponsesStream } from '../../../src/protocols/responses/stream.js';
import { responsesToChat } from '../../../src/protocols/responses/to-chat.js';

// What the real Codex CLI sends and expects that a chat-only upstream needs translated
// (each found by running `codex exec` against the gateway: test/clients/codex.test.ts).

const APPLY_PATCH = {
  type: 'custom',
  name: 'apply_patch',
  description: 'Edits files. This is a FREEFORM tool.',
  format: { type: 'grammar', syntax: 'lark', definition: 'start: "*** Begin Patch" LF' },
};
const PATCH = '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n';

type Obj = Record<string, unknown>;
const events = (sse: string): Obj[] =>
  sse
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Obj);
const chunk = (delta: Obj, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

describe('Responses → chat completions, for what Codex sends', () => {
  it('offers a custom (freeform) tool as a function taking one string, its grammar in the description', () => {
    const chat = responsesToChat(
      { model: 'm', input: 'hi', tools: [APPLY_PATCH], tool_choice: { type: 'custom', name: 'apply_patch' } },
      'm',
    );
    expect(chat.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'apply_patch',
          description: expect.stringContaining('lark grammar:\nstart: "*** Begin Patch" LF'),
          parameters: {
            type: 'object',
            properties: { input: { type: 'string', description: 'the raw input, as text' } },
            required: ['input'],
            additionalProperties: false,
          },
        },
      },
    ]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'apply_patch' } });
  });

  it('sends earlier custom tool calls and their outputs as tool calls and tool messages', () => {
    const chat = responsesToChat(
      {
        model: 'm',
        tools: [APPLY_PATCH],
        input: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'add a.txt' }] },
          { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: PATCH },
          { type: 'custom_tool_call_output', call_id: 'c1', output: 'Success. Updated: A a.txt' },
        ],
      },
      'm',
    );
    expect((chat.messages as Obj[]).slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'Success. Updated: A a.txt' },
    ]);
  });

  it('puts a preamble message and the calls after it back into one assistant turn', () => {
    const chat = responsesToChat(
      {
        model: 'm',
        input: [
          { type: 'message', role: 'user', content: 'go' },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Creating it.' }] },
          { type: 'function_call', call_id: 'c1', name: 'exec_command', arguments: '{"cmd":"ls"}' },
          { type: 'function_call', call_id: 'c2', name: 'exec_command', arguments: '{"cmd":"pwd"}' },
          { type: 'function_call_output', call_id: 'c1', output: 'a' },
          { type: 'function_call_output', call_id: 'c2', output: 'b' },
        ],
      },
      'm',
    );
    const messages = chat.messages as Obj[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(messages[1]).toEqual({
      role: 'assistant',
      content: 'Creating it.',
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } },
        { id: 'c2', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"pwd"}' } },
      ],
    });
  });

  it('merges the leading developer messages into one system message, and keeps later ones', () => {
    const chat = responsesToChat(
      {
        model: 'm',
        instructions: 'base',
        input: [
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'one' }] },
          { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'two' }] },
          { type: 'message', role: 'user', content: 'hi' },
          { type: 'message', role: 'developer', content: 'later' },
        ],
      },
      'm',
    );
    expect(chat.messages).toEqual([
      { role: 'system', content: 'base\n\none\n\ntwo' },
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'later' },
    ]);
  });
});

describe('what a translated Responses route refuses', () => {
  it('refuses tools sent as additional_tools items (Codex with its newest model names) instead of dropping them', () => {
    const body = {
      model: 'gpt-6-sol',
      input: [
        {
          type: 'additional_tools',
          role: 'developer',
          tools: [{ type: 'namespace', name: 'functions', tools: [] }],
        },
        { type: 'message', role: 'user', content: 'hi' },
      ],
    };
    expect(() => OPENAI_RESPONSES.refuseWhenTranslated!(body)).toThrow(AirlockError);
    expect(() => OPENAI_RESPONSES.refuseWhenTranslated!(body)).toThrow(/additional_tools.*gpt-5\.x/);
    expect(() =>
      OPENAI_RESPONSES.refuseWhenTranslated!({ model: 'gpt-5.5', input: body.input.slice(1) }),
    ).not.toThrow();
  });
});

describe('chat completions → Responses, for a custom tool call', () => {
  const request = { model: 'gpt-5.5', tools: [APPLY_PATCH], stream: true };
  const args = JSON.stringify({ input: PATCH });

  it('streams a call to a custom tool as a custom_tool_call item with the raw input', () => {
    const stream = new ChatToResponsesStream('gpt-5.5', request, 10);
    const sse =
      stream.start() +
      stream.push(
        Buffer.from(
          chunk({
            tool_calls: [
              { index: 0, id: 'call_9', type: 'function', function: { name: 'apply_patch', arguments: '' } },
            ],
          }) +
            chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, 12) } }] }) +
            chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(12) } }] }) +
            chunk({}, 'tool_calls'),
        ),
      ) +
      stream.end();
    const all = events(sse);
    expect(all.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const item = {
      type: 'custom_tool_call',
      call_id: 'call_9',
      name: 'apply_patch',
      input: PATCH,
      status: 'completed',
    };
    expect(all[5]!.item).toMatchObject(item);
    expect((all[6]!.response as { output: Obj[] }).output).toEqual([expect.objectContaining(item)]);
    expect(all.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('answers a non-streamed call to a custom tool with the same item', () => {
    const answer = chatToResponse(
      {
        choices: [
          {
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'call_9', type: 'function', function: { name: 'apply_patch', arguments: args } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      },
      'gpt-5.5',
      request,
    );
    expect(answer.output).toEqual([
      expect.objectContaining({
        type: 'custom_tool_call',
        call_id: 'call_9',
        name: 'apply_patch',
        input: PATCH,
      }),
    ]);
  });

  it('keeps function tools as function calls next to custom ones', () => {
    const answer = chatToResponse(
      {
        choices: [
          {
            message: {
              role: 'assistant',
              tool_calls: [
                { id: 'c', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } },
              ],
            },
          },
        ],
      },
      'gpt-5.5',
      request,
    );
    expect(answer.output).toEqual([
      expect.objectContaining({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}' }),
    ]);
  });
});
