/**
 * Which tokenizer a model uses, when it is a published one (docs/context.md "Token counts").
 * OpenAI publishes its encodings (`o200k_base` for GPT-4o and later, `cl100k_base` for GPT-4 and
 * GPT-3.5); other vendors' tokenizers are not on the registry, so their counts are estimates.
 */
export type TokenEncoding = 'o200k_base' | 'cl100k_base';

// Matched on the last path segment, so `openai/gpt-4o` (OpenRouter) and `azure/gpt-4.1` count alike.
const O200K = /^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|chatgpt-4o|o1|o3|o4|codex-mini|omni-moderation)([-.:_]|$)/;
const CL100K = /^(gpt-4|gpt-3\.5|gpt-35|text-embedding-3|text-embedding-ada-002)([-.:_]|$)/;

/** The encoding of a model name, or null when its tokenizer is not published (count with the estimate). */
export function encodingForModel(model: string): TokenEncoding | null {
  const name = (model.split('/').pop() ?? model).toLowerCase();
  if (O200K.test(name)) return 'o200k_base';
  if (CL100K.test(name)) return 'cl100k_base';
  return null;
}
