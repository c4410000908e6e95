// What a kind that speaks the Anthropic Messages API natively adds to its spec: the path
// (under the same /v1 baseUrl) and the two Anthropic headers it may receive from the caller.
import type { ProviderSpec } from './types.js';

export const MESSAGES_NATIVE = {
  path: '/messages',
  forwardHeaders: ['anthropic-version', 'anthropic-beta'],
} as const;

export function speaksMessages(spec: Pick<ProviderSpec, 'paths'>): boolean {
  return spec.paths.messages !== undefined;
}
