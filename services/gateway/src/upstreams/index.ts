// The registry of upstream kinds, sorted by name.
import { llamacppSpec } from './llamacpp/index.js';
import { ollamaSpec } from './ollama/index.js';
import { openaiSpec } from './openai/index.js';
import { openAiCompatible } from './openai-compatible/index.js';
import { tgiSpec } from './tgi/index.js';
import type { ProviderName, ProviderSpec } from './types.js';
import { vllmSpec } from './vllm/index.js';

export const PROVIDERS: Record<ProviderName, ProviderSpec> = {
  llamacpp: llamacppSpec,
  ollama: ollamaSpec,
  openai: openaiSpec,
  'openai-compatible': openAiCompatible,
  tgi: tgiSpec,
  vllm: vllmSpec,
};

export type { Operation, ProviderName, ProviderSpec } from './types.js';
