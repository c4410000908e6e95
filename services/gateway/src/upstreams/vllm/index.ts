// vLLM's OpenAI server (vllm serve --api-key): baseUrl http://host:8000/v1.
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import { MESSAGES_NATIVE, RESPONSES_NATIVE_PATH } from '../messages-native.js';
import type { ProviderSpec } from '../types.js';

// vLLM >= 0.11 serves /v1/messages (the Anthropic Messages API) and
// /v1/responses (OpenAI Responses): both passed through, not translated.
export const vllmSpec: ProviderSpec = {
  ...openAiCompatible,
  name: 'vllm',
  streamUsage: true,
  paths: { ...openAiCompatible.paths, messages: MESSAGES_NATIVE.path, responses: RESPONSES_NATIVE_PATH },
  forwardHeaders: MESSAGES_NATIVE.forwardHeaders,
};
