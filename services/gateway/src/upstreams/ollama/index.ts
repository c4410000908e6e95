// Ollama's OpenAI compatibility layer: baseUrl http://host:11434/v1 (it ignores the key).
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import type { ProviderSpec } from '../types.js';

export const ollamaSpec: ProviderSpec = { ...openAiCompatible, name: 'ollama', streamUsage: true };
