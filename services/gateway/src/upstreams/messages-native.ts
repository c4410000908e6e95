// What a kind that speaks the Anthropic Messages API natively adds to its spec: the path
// (under the same /v1 baseUrl) and the two Anthropic headers it may receive from the caller.
export const MESSAGES_NATIVE = {
  path: '/messages',
  forwardHeaders: ['anthropic-version', 'anthropic-beta'],
} as const;

/** The OpenAI Responses API's path, for kinds that serve it natively (OpenAI, vLLM). */
export const RESPONSES_NATIVE_PATH = '/responses';
