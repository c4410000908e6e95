// The Anthropic Messages API as a ForeignApi (see ../types.ts).
import type { ForeignApi } from '../types.js';
import { MID_STREAM_ERROR } from './errors.js';
import { chatToMessage } from './from-chat.js';
import { ChatToMessagesStream } from './stream.js';
import { messagesToChat } from './to-chat.js';
import { messageGeneratedChars, MessagesUsageMeter, usageFromMessage } from './usage.js';

export const ANTHROPIC_MESSAGES: ForeignApi = {
  operation: 'messages',
  toChat: messagesToChat,
  fromChat: (chat, model) => chatToMessage(chat, model),
  streamFromChat: (model, _request, estimated) => new ChatToMessagesStream(model, estimated),
  nativeUsage: usageFromMessage,
  nativeGeneratedChars: messageGeneratedChars,
  nativeMeter: () => new MessagesUsageMeter(),
  midStreamError: () => `event: error\ndata: ${MID_STREAM_ERROR}\n\n`,
  upstreamRefusal: (upstream, status, message) => ({
    type: 'error',
    error: {
      type: status === 404 ? 'not_found_error' : 'invalid_request_error',
      message: `upstream "${upstream}" refused the request (status ${status})${message ? `: ${message}` : ''}`,
      code: 'upstream_error',
    },
  }),
};
