import type { ProviderTypeOption } from './provider-form';

/** A few of `providers.types` (docs/providers.md) for component tests: one of each kind. */
export const PROVIDER_TYPES_FIXTURE: ProviderTypeOption[] = [
  { value: 'openai', label: 'OpenAI-compatible', defaultEndpoint: null, apiKey: 'optional' },
  {
    value: 'google',
    label: 'Google Gemini',
    defaultEndpoint: 'https://generativelanguage.googleapis.com',
    apiKey: 'required',
  },
  { value: 'ollama', label: 'Ollama', defaultEndpoint: 'http://localhost:11434', apiKey: 'optional' },
  { value: 'groq', label: 'Groq', defaultEndpoint: 'https://api.groq.com/openai/v1', apiKey: 'required' },
];
