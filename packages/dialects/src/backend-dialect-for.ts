import { anthropicBackend } from './anthropic/anthropic-backend';
import type { BackendDialect } from './dialect';
import { googleBackend } from './google/google-backend';
import { ollamaBackend } from './ollama/ollama-backend';

/** Backend adapters by provider type (core's `ProviderType`); `openai` has none: its wire body is canonical. */
const BACKENDS: Readonly<Record<string, BackendDialect>> = {
  anthropic: anthropicBackend,
  google: googleBackend,
  ollama: ollamaBackend,
};

/** The adapter of a provider type, or null for the canonical (OpenAI-compatible) one. */
export function backendDialectFor(type: string): BackendDialect | null {
  return BACKENDS[type] ?? null;
}
