/**
 * Every provider `type` aisbf takes (docs/providers.md): the wire protocol it speaks (a dialect
 * of `@aisbf/dialects`; `openai` is the canonical one), the endpoint used when a provider's
 * `endpoint` is empty, and whether the vendor needs a key. Presets are OpenAI-compatible APIs
 * with their vendor's documented base URL as the default, nothing else.
 */
export interface ProviderTypeInfo {
  /** What the dashboard shows. */
  label: string;
  dialect: 'openai' | 'anthropic' | 'google' | 'ollama';
  /** The endpoint an empty `endpoint` means; null: the provider must name one. */
  defaultEndpoint: string | null;
  /** `required`: the vendor refuses requests without a key; `optional`: local servers and brokers. */
  apiKey: 'required' | 'optional';
}

export const PROVIDER_TYPES = {
  openai: { label: 'OpenAI-compatible', dialect: 'openai', defaultEndpoint: null, apiKey: 'optional' },
  anthropic: {
    label: 'Anthropic',
    dialect: 'anthropic',
    defaultEndpoint: 'https://api.anthropic.com',
    apiKey: 'required',
  },
  google: {
    label: 'Google Gemini',
    dialect: 'google',
    defaultEndpoint: 'https://generativelanguage.googleapis.com',
    apiKey: 'required',
  },
  ollama: { label: 'Ollama', dialect: 'ollama', defaultEndpoint: 'http://localhost:11434', apiKey: 'optional' },
  // Presets (https://console.groq.com/docs/openai, https://docs.together.ai/docs/openai-api-compatibility,
  // https://docs.mistral.ai/api/, https://api-docs.deepseek.com/, https://openrouter.ai/docs/quickstart,
  // https://docs.x.ai/docs/api-reference, https://docs.fireworks.ai/tools-sdks/openai-compatibility,
  // https://lmstudio.ai/docs/app/api/endpoints/openai, https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html).
  groq: { label: 'Groq', dialect: 'openai', defaultEndpoint: 'https://api.groq.com/openai/v1', apiKey: 'required' },
  together_ai: {
    label: 'Together AI',
    dialect: 'openai',
    defaultEndpoint: 'https://api.together.xyz/v1',
    apiKey: 'required',
  },
  mistral: { label: 'Mistral', dialect: 'openai', defaultEndpoint: 'https://api.mistral.ai/v1', apiKey: 'required' },
  deepseek: { label: 'DeepSeek', dialect: 'openai', defaultEndpoint: 'https://api.deepseek.com', apiKey: 'required' },
  openrouter: {
    label: 'OpenRouter',
    dialect: 'openai',
    defaultEndpoint: 'https://openrouter.ai/api/v1',
    apiKey: 'required',
  },
  xai: { label: 'xAI', dialect: 'openai', defaultEndpoint: 'https://api.x.ai/v1', apiKey: 'required' },
  fireworks: {
    label: 'Fireworks AI',
    dialect: 'openai',
    defaultEndpoint: 'https://api.fireworks.ai/inference/v1',
    apiKey: 'required',
  },
  lm_studio: { label: 'LM Studio', dialect: 'openai', defaultEndpoint: 'http://localhost:1234/v1', apiKey: 'optional' },
  vllm: { label: 'vLLM', dialect: 'openai', defaultEndpoint: 'http://localhost:8000/v1', apiKey: 'optional' },
} as const satisfies Record<string, ProviderTypeInfo>;

export type ProviderType = keyof typeof PROVIDER_TYPES;

/** Other spellings users and AISBF's providers.json write (the seed says both `openai` and "OpenAI-compatible"). */
const ALIASES: Readonly<Record<string, ProviderType>> = {
  'openai-compatible': 'openai',
  openai_compatible: 'openai',
  'openai compatible': 'openai',
  'openai-compat': 'openai',
  gemini: 'google',
  together: 'together_ai',
  'together-ai': 'together_ai',
  lmstudio: 'lm_studio',
  'lm-studio': 'lm_studio',
  'x-ai': 'xai',
};

/** The canonical type for any accepted spelling (case and spaces ignored), or null. */
export function normalizeProviderType(value: string): ProviderType | null {
  const key = value.trim().toLowerCase();
  if (Object.hasOwn(PROVIDER_TYPES, key)) return key as ProviderType;
  // Own keys only: `__proto__` (a client may send anything) must not read Object.prototype.
  return Object.hasOwn(ALIASES, key) ? ALIASES[key]! : null;
}
