// Any server speaking the OpenAI wire format; baseUrl ends with its API root (…/v1).
import type { ProviderSpec } from '../types.js';

export const openAiCompatible: ProviderSpec = {
  name: 'openai-compatible',
  paths: {
    'chat.completions': '/chat/completions',
    completions: '/completions',
    embeddings: '/embeddings',
  },
  authHeaders: (apiKey) => ({ authorization: `Bearer ${apiKey}` }),
  // An unknown server may refuse an unknown field: not asked, usage is estimated instead.
  streamUsage: false,
};
