// The OpenAI Responses API as a ForeignApi (see ../types.ts). Nothing is stored: the
// gateway keeps no responses, and a native upstream is asked not to either unless the
// caller says otherwise; previous_response_id cannot be served by a translating route.
import { AirlockError } from '@airlock/common';
import type { ForeignApi } from '../types.js';
import { chatToResponse } from './from-chat.js';
import { ChatToResponsesStream } from './stream.js';
import { responsesToChat } from './to-chat.js';
import { responseGeneratedChars, ResponsesUsageMeter, usageFromResponse } from './usage.js';

const MID_STREAM = JSON.stringify({
  type: 'error',
  code: 'upstream_error',
  message: 'the upstream connection failed mid-stream; the answer is incomplete',
  param: null,
});

export const OPENAI_RESPONSES: ForeignApi = {
  operation: 'responses',
  refuseWhenTranslated(body) {
    if (body.previous_response_id !== undefined && body.previous_response_id !== null)
      throw new AirlockError(
        'bad_request',
        '"previous_response_id" needs a stored response, and this route stores none (store: false): send the whole conversation in "input"',
      );
    // Codex sends its tools this way for its newest model names (namespaced, code mode):
    // a chat server would get no tools at all, an agent that silently cannot act.
    if (
      Array.isArray(body.input) &&
      body.input.some((i) => (i as { type?: unknown })?.type === 'additional_tools')
    )
      throw new AirlockError(
        'bad_request',
        'tools sent as "additional_tools" input items cannot be translated for a chat completions upstream: use a model name whose client sends "tools" (for Codex, a gpt-5.x name), or a Responses-native upstream',
      );
  },
  nativeBody: (body) => ({ store: false, ...body }),
  toChat: responsesToChat,
  fromChat: chatToResponse,
  streamFromChat: (model, request, estimated) => new ChatToResponsesStream(model, request, estimated),
  nativeUsage: usageFromResponse,
  nativeGeneratedChars: responseGeneratedChars,
  nativeMeter: () => new ResponsesUsageMeter(),
  midStreamError: () => `event: error\ndata: ${MID_STREAM}\n\n`,
  upstreamRefusal: (upstream, status, message) => ({
    error: {
      message: `upstream "${upstream}" refused the request (status ${status})${message ? `: ${message}` : ''}`,
      type: 'invalid_request_error',
      code: 'upstream_error',
    },
  }),
};
