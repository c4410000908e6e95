// OpenAI itself (a cloud upstream): baseUrl https://api.openai.com/v1.
// Same wire format and credentials as openai-compatible; kept as its own kind so its
// differences land here, not in branches elsewhere.
import { openAiCompatible } from '../openai-compatible/index.js';
import { RESPONSES_NATIVE_PATH } from '../messages-native.js';
import type { ProviderSpec } from '../types.js';

// The Responses API is OpenAI's own: passed through (store defaults to false, see protocols/responses).
export const openaiSpec: ProviderSpec = {
  ...openAiCompatible,
  name: 'openai',
  streamUsage: true,
  paths: { ...openAiCompatible.paths, responses: RESPONSES_NATIVE_PATH },
};
