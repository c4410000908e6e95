// llama.cpp server (llama-server --api-key): baseUrl http://host:8080/v1.
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import type { ProviderSpec } from '../types.js';

export const llamacppSpec: ProviderSpec = { ...openAiCompatible, name: 'llamacpp' };
