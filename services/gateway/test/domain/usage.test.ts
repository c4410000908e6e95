import { describe, expect, it } from '@jest/globals';
import { StreamUsageMeter, usageFrom } from '../../src/domain/usage.js';

const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

describe('token usage', () => {
  it('reads usage from a JSON answer', () => {
    expect(usageFrom({ usage: { prompt_tokens: 5, completion_tokens: 2 } })).toEqual({
      promptTokens: 5,
      completionTokens: 2,
      estimated: false,
    });
    expect(usageFrom({})).toBeUndefined();
  });

  it('takes usage from the final stream chunk, even when chunks split events and lines', () => {
    const meter = new StreamUsageMeter();
    const text =
      event({ choices: [{ delta: { content: 'Hello' } }] }) +
      event({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 1 } }) +
      'data: [DONE]\n\n';
    for (let i = 0; i < text.length; i += 7) meter.push(Buffer.from(text.slice(i, i + 7)));
    expect(meter.result(100)).toEqual({ promptTokens: 9, completionTokens: 1, estimated: false });
  });

  it('estimates from the generated text when the upstream sends no usage, and says so', () => {
    const meter = new StreamUsageMeter();
    meter.push(Buffer.from(event({ choices: [{ delta: { content: '12345678' } }] })));
    meter.push(Buffer.from(event({ choices: [{ text: 'abcd' }] })));
    expect(meter.result(40)).toEqual({ promptTokens: 10, completionTokens: 3, estimated: true });
  });
});
