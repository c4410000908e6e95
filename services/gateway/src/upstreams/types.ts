// What every upstream kind declares: data, not branches (STYLE.md: upstreams as data).
// Adding a server type is a new folder with an index.ts exporting a ProviderSpec.

/** Every operation the gateway routes, by its audit endpoint name. */
export type Operation = 'chat.completions' | 'completions' | 'embeddings';

export type ProviderName = 'llamacpp' | 'ollama' | 'openai' | 'openai-compatible' | 'tgi' | 'vllm';

export interface ProviderSpec {
  name: ProviderName;
  /** Path of each operation under the upstream's baseUrl (which carries any /v1 prefix). */
  paths: Record<Operation, string>;
  /** The upstream's own credential; the caller's is never forwarded. */
  authHeaders(apiKey: string): Record<string, string>;
  /**
   * Honours `stream_options.include_usage` (a final usage-only chunk). When true the gateway
   * asks for it on every stream, so streamed usage is the upstream's count, not an estimate.
   */
  streamUsage: boolean;
}
