// Ollama's OpenAI compatibility layer: baseUrl http://host:11434/v1 (it ignores the key).
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import { MESSAGES_NATIVE } from '../messages-native.js';
import type { ProviderSpec } from '../types.js';

// Ollama >= 0.14 serves /v1/messages (the Anthropic Messages API): passed through, not translated.
export const ollamaSpec: ProviderSpec = {
  ...openAiCompatible,
  name: 'ollama',
  streamUsage: true,
  paths: { ...openAiCompatible.paths, messages: MESSAGES_NATIVE.path },
  forwardHeaders: MESSAGES_NATIVE.forwardHeaders,
};
