// What the gateway needs to know about an API it serves in front of chat-completions-only
// upstreams (Anthropic Messages, OpenAI Responses): how to translate a request and its
// answer, streamed or not, how to meter a native answer, and what its errors look like.
import type { Usage } from '../domain/usage.js';

export type Obj = Record<string, unknown>;

export interface StreamTranslator {
  /** Events to send before the first upstream byte (message_start, response.created…). */
  start(): string;
  /** Events for one raw chunk of the upstream's chat completions SSE stream. */
  push(chunk: Buffer): string;
  /** The closing events, once the upstream stream ended normally. */
  end(): string;
  usage(): Usage;
}

export interface UsageMeter {
  push(chunk: Buffer): void;
  result(promptChars: number): Usage;
}

export interface ForeignApi {
  /** The upstream operation a kind declares when it speaks this API natively. */
  operation: 'messages' | 'responses';
  /** Refuses, before any upstream is called, what a translating route cannot serve. */
  refuseWhenTranslated?(body: Obj): void;
  /** The body a native upstream gets (usually the caller's as is). */
  nativeBody?(body: Obj): Obj;
  toChat(body: Obj, upstreamModel: string): Obj;
  fromChat(chat: Obj, model: string, request: Obj): Obj;
  streamFromChat(model: string, request: Obj, estimatedInputTokens: number): StreamTranslator;
  nativeUsage(answer: unknown): Usage | undefined;
  /** Characters a native non-stream answer generated (for the estimate when it has no usage). */
  nativeGeneratedChars(answer: unknown): number;
  nativeMeter(): UsageMeter;
  /** The SSE text ending a stream whose upstream failed mid-answer. */
  midStreamError(): string;
  /** An upstream's 4xx, in this API's envelope (its own message at most, never its raw body). */
  upstreamRefusal(upstream: string, status: number, message: string | undefined): Obj;
}
