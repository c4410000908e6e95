// llama.cpp server (llama-server --api-key): baseUrl http://host:8080/v1.
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import { MESSAGES_NATIVE } from '../messages-native.js';
import type { ProviderSpec } from '../types.js';

// llama-server serves /v1/messages (the Anthropic Messages API): passed through, not translated.
export const llamacppSpec: ProviderSpec = {
  ...openAiCompatible,
  name: 'llamacpp',
  paths: { ...openAiCompatible.paths, messages: MESSAGES_NATIVE.path },
  forwardHeaders: MESSAGES_NATIVE.forwardHeaders,
};
