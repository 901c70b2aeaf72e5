import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startMockAnthropic,
  startMockGemini,
  startMockOllama,
  type MockAnthropic,
  type MockGemini,
  type MockOllama,
} from '@aisbf/testkit';
import { startHarness, words, type Harness } from './test-harness';

/**
 * One rotation mixing all four provider types (docs/providers.md): openai-compatible, anthropic,
 * google and ollama fakes. An Anthropic 529 is served by the next entry with no client error, and
 * a stream cut on one type is continued on another (docs/reliability.md, `midstream: "continue"`).
 */
const KEY = 'sk-provider-secret-123';
const WORDS = 20;
let claude: MockAnthropic;
let gemini: MockGemini;
let ollama: MockOllama;
let h: Harness;
let client: OpenAI;

beforeAll(async () => {
  claude = await startMockAnthropic({ apiKey: KEY, models: ['claude-a', 'claude-b', 'claude-c'], words: WORDS });
  gemini = await startMockGemini({ apiKey: KEY, models: ['gemini-a', 'gemini-b', 'gemini-c'], words: WORDS });
  ollama = await startMockOllama({ models: ['llama-a', 'llama-b', 'llama-c'], words: WORDS });
  const knobs = { timeout_first_token_s: 1, timeout_idle_s: 0.3, retry: { backoff_ms: 10 } };
  // Each rotation has its own models, so a cooldown one test opens never changes another's order.
  const entries = (m: 'a' | 'b' | 'c', order: string[], prefill: boolean) =>
    order.map((type, i) => ({
      provider_id: type,
      model: `${{ claude: 'claude', gem: 'gemini', llama: 'llama', oai: 'gpt' }[type]}-${m}`,
      weight: order.length - i,
      ...(prefill && i > 0 ? { prefill: true } : {}),
    }));
  h = await startHarness({
    providers: [
      {
        id: 'claude',
        deadEndpoint: true,
        models: ['claude-a', 'claude-b', 'claude-c'],
        extra: { type: 'anthropic', endpoint: claude.url },
      },
      {
        id: 'gem',
        deadEndpoint: true,
        models: ['gemini-a', 'gemini-b', 'gemini-c'],
        extra: { type: 'google', endpoint: gemini.url },
      },
      {
        id: 'llama',
        deadEndpoint: true,
        models: ['llama-a', 'llama-b', 'llama-c'],
        extra: { type: 'ollama', endpoint: ollama.url },
      },
      { id: 'oai', models: ['gpt-a', 'gpt-b', 'gpt-c'], mock: { words: WORDS } },
    ],
    rotations: [
      { id: 'four-types', config: { providers: entries('a', ['claude', 'gem', 'llama', 'oai'], false), ...knobs } },
      {
        id: 'four-types-rescue',
        config: { providers: entries('b', ['claude', 'gem', 'llama', 'oai'], true), midstream: 'continue', ...knobs },
      },
      {
        id: 'four-types-rescue-by-claude',
        config: { providers: entries('c', ['llama', 'claude', 'gem', 'oai'], true), midstream: 'continue', ...knobs },
      },
    ],
  });
  client = new OpenAI({ baseURL: h.v1, apiKey: h.tokens.alice, maxRetries: 0 });
});
afterAll(async () => {
  await h.close();
  await Promise.all([claude.close(), gemini.close(), ollama.close()]);
});

const read = async (route: string): Promise<{ text: string; provider: string | null }> => {
  const { data: stream, response } = await client.chat.completions
    .create({ model: route, messages: [{ role: 'user', content: 'count' }], stream: true })
    .withResponse();
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return { text, provider: response.headers.get('x-aisbf-provider') };
};

describe('a rotation of all four provider types', () => {
  it('an Anthropic 529 is served by the next entry (google) with no client error', async () => {
    const overloaded = { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' } as const;
    claude.enqueue(overloaded, overloaded);
    const whole = await client.chat.completions
      .create({ model: 'user-rotation/four-types', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(whole.data.choices[0]!.message.content).toBe(words(1, WORDS));
    expect(whole.response.headers.get('x-aisbf-provider')).toBe('gem');
    expect(h.events.at(-1)!.attempts.map((a) => `${a.provider}:${a.status}`)).toEqual([
      'claude:503',
      'claude:503',
      'gem:200',
    ]);
    expect(h.events.at(-1)).toMatchObject({ status: 200, outcome: 'ok' });
  });

  it('a stream cut on the anthropic entry is continued on the google entry, in one answer', async () => {
    claude.enqueue({ kind: 'cut', afterDeltas: 5 });
    const r = await read('user-rotation/four-types-rescue');
    expect(r.text).toBe(words(1, WORDS));
    expect(r.provider).toBe('claude');
    // Gemini got the text delivered so far as a final model turn to continue.
    const sent = gemini.requests.at(-1)!.body as { contents: unknown[] };
    expect(sent.contents.at(-1)).toEqual({ role: 'model', parts: [{ text: words(1, 5) }] });
    expect(h.events.at(-1)!.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual([
      'claude:interrupted',
      'gem:ok',
    ]);
  });

  it('a stream cut on the ollama entry is continued on the anthropic entry (assistant prefill)', async () => {
    ollama.enqueue({ kind: 'cut', afterLines: 7 });
    const r = await read('user-rotation/four-types-rescue-by-claude');
    expect(r.text).toBe(words(1, WORDS));
    const sent = claude.requests.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> };
    expect(sent.messages.at(-1)).toMatchObject({ role: 'assistant' });
    expect(JSON.stringify(sent.messages.at(-1)!.content)).toContain(words(1, 7));
    expect(h.events.at(-1)!.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual([
      'llama:interrupted',
      'claude:ok',
    ]);
  });
});
