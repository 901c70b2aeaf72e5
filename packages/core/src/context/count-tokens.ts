import type { TokenEncoding } from './token-encoding';
import { encodingForModel } from './token-encoding';

/**
 * Counts the tokens of a text with one tokenizer (docs/context.md "Token counts").
 * `countUpTo` stops once `limit` is passed, so a window check never tokenizes more than the window.
 */
export interface TokenCounter {
  /** The tokenizer, or `estimate` for families whose tokenizer is not published. */
  readonly encoding: TokenEncoding | 'estimate';
  count(text: string): number;
  /** The exact count when it is at most `limit`; otherwise some number above `limit`. */
  countUpTo(text: string, limit: number): number;
}

/** UTF-8 length without `TextEncoder` allocations: the bound and the estimate both start from it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Bytes per token of the estimate. OpenAI's tokenizers average about 3.9 UTF-8 bytes per token on
 * English prose and source code (measured on this repository's docs and sources with o200k_base),
 * smaller-vocabulary models (Llama 2, Mistral 7B) about 3.3, and CJK text about 3 (one token per
 * character). 3.5 errs a little high for the big vocabularies: a window check then condenses a
 * little early rather than sending a request the backend refuses.
 */
export const ESTIMATE_BYTES_PER_TOKEN = 3.5;

export const estimateCounter: TokenCounter = {
  encoding: 'estimate',
  count: (text) => Math.ceil(utf8Length(text) / ESTIMATE_BYTES_PER_TOKEN),
  countUpTo: (text) => Math.ceil(utf8Length(text) / ESTIMATE_BYTES_PER_TOKEN),
};

interface GptTokenizerEncoding {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
  isWithinTokenLimit(text: string, limit: number, options: { disallowedSpecial: Set<string> }): number | false;
}

// A client may quote `<|endoftext|>` in a message; it is text to count, never a reason to throw.
const TEXT_ONLY = { disallowedSpecial: new Set<string>() };

function counterOf(encoding: TokenEncoding, module: GptTokenizerEncoding): TokenCounter {
  return {
    encoding,
    count: (text) => module.countTokens(text, TEXT_ONLY),
    countUpTo: (text, limit) => {
      const within = module.isWithinTokenLimit(text, limit, TEXT_ONLY);
      return within === false ? limit + 1 : within;
    },
  };
}

const loading = new Map<TokenEncoding, Promise<TokenCounter>>();
const loaded = new Map<TokenEncoding, TokenCounter>();

/** The encoding's counter if it is loaded already, else undefined (and its loading starts). */
export function loadedTokenCounter(encoding: TokenEncoding | null): TokenCounter | undefined {
  if (encoding === null) return estimateCounter;
  const counter = loaded.get(encoding);
  if (counter === undefined) void loadTokenCounter(encoding);
  return counter;
}

/** Whether the encoding's counter is loaded (never starts a load; readiness and tests). */
export const tokenCounterReady = (encoding: TokenEncoding): boolean => loaded.has(encoding);

/**
 * The encoding's counter. The rank tables take about 0.2–0.9 s and 30–60 MB to load, so they are
 * loaded on first use (or by `preloadTokenCounters` at boot), once per process, never at import.
 */
export function loadTokenCounter(encoding: TokenEncoding | null): Promise<TokenCounter> {
  if (encoding === null) return Promise.resolve(estimateCounter);
  let pending = loading.get(encoding);
  if (pending === undefined) {
    pending =
      encoding === 'o200k_base'
        ? import('gpt-tokenizer/encoding/o200k_base').then((m) => counterOf(encoding, m))
        : import('gpt-tokenizer/encoding/cl100k_base').then((m) => counterOf(encoding, m));
    loading.set(
      encoding,
      (pending = pending.then((counter) => {
        loaded.set(encoding, counter);
        return counter;
      })),
    );
  }
  return pending;
}

/** The counter for a model name: its published tokenizer, else the estimate. */
export function tokenCounterFor(model: string): Promise<TokenCounter> {
  return loadTokenCounter(encodingForModel(model));
}

/** Loads the given encodings ahead of the first request that needs them. */
export async function preloadTokenCounters(encodings: readonly TokenEncoding[]): Promise<void> {
  await Promise.all(encodings.map((e) => loadTokenCounter(e)));
}

/**
 * A counter that remembers counts per text, for the turns a conversation resends on every request.
 * `cache` is any bounded map (the data plane passes an LRU); core holds no unbounded state.
 */
export function cachedTokenCounter(
  counter: TokenCounter,
  cache: { get(key: string): number | undefined; set(key: string, value: number): unknown },
  minLength = 256,
): TokenCounter {
  const key = (text: string): string => `${counter.encoding}\u0000${text}`;
  return {
    encoding: counter.encoding,
    count(text) {
      if (text.length < minLength) return counter.count(text);
      const k = key(text);
      const hit = cache.get(k);
      if (hit !== undefined) return hit;
      const n = counter.count(text);
      cache.set(k, n);
      return n;
    },
    countUpTo(text, limit) {
      if (text.length < minLength) return counter.countUpTo(text, limit);
      const hit = cache.get(key(text));
      if (hit !== undefined) return hit;
      const n = counter.countUpTo(text, limit);
      if (n <= limit) cache.set(key(text), n);
      return n;
    },
  };
}
