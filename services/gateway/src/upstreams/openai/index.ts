// OpenAI itself (a cloud upstream): baseUrl https://api.openai.com/v1.
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import type { ProviderSpec } from '../types.js';

export const openaiSpec: ProviderSpec = { ...openAiCompatible, name: 'openai', streamUsage: true };
