// vLLM's OpenAI server (vllm serve --api-key): baseUrl http://host:8000/v1.
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import type { ProviderSpec } from '../types.js';

export const vllmSpec: ProviderSpec = { ...openAiCompatible, name: 'vllm', streamUsage: true };
