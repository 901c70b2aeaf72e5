import { describe, expect, it } from 'vitest';
import { countMessageTokens, countPromptTokens, promptFits, promptTokenBound } from './count-prompt-tokens';
import { estimateCounter, loadTokenCounter, tokenCounterFor } from './count-tokens';

// The OpenAI cookbook's example ("How to count tokens with tiktoken"), with the prompt_tokens the
// API reported for it: 129 on gpt-3.5-turbo / gpt-4 (cl100k_base), 124 on gpt-4o (o200k_base).
const cookbook = {
  model: 'gpt-4o',
  messages: [
    {
      role: 'system',
      content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
    },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    {
      role: 'system',
      name: 'example_user',
      content: "Let's circle back when we have more time to touch base on opportunities for increased leverage.",
    },
    {
      role: 'system',
      name: 'example_assistant',
      content: "Let's talk later when we're less busy about how to do better.",
    },
    {
      role: 'user',
      content: "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
  ],
};

describe('countPromptTokens', () => {
  it('matches the prompt_tokens OpenAI reported for the cookbook example (o200k and cl100k)', async () => {
    expect(countPromptTokens(cookbook, await tokenCounterFor('gpt-4o'))).toBe(124);
    expect(countPromptTokens(cookbook, await tokenCounterFor('gpt-4-0613'))).toBe(129);
  });

  it('counts tool definitions, tool calls and tool results', async () => {
    const counter = await loadTokenCounter('o200k_base');
    const plain = { model: 'gpt-4o', messages: [{ role: 'user', content: 'weather in Paris?' }] };
    const withTools = {
      ...plain,
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
      ],
    };
    expect(countPromptTokens(withTools, counter)).toBeGreaterThan(countPromptTokens(plain, counter) + 10);
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ],
    };
    expect(countMessageTokens(call, counter)).toBeGreaterThan(countMessageTokens({ role: 'assistant' }, counter) + 5);
  });

  it('counts a quoted special token as text instead of throwing', async () => {
    const counter = await loadTokenCounter('cl100k_base');
    expect(counter.count('end here <|endoftext|> ok')).toBeGreaterThan(5);
  });

  it('estimates unpublished tokenizers at 3.5 bytes per token', () => {
    expect(estimateCounter.count('x'.repeat(350))).toBe(100);
    // three bytes per CJK character in UTF-8: about one token each
    expect(estimateCounter.count('漢'.repeat(7))).toBe(6);
  });
});

describe('promptFits', () => {
  const big = (chars: number) => ({
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'function add(a, b) { return a + b; }\n'.repeat(Math.ceil(chars / 37)).slice(0, chars) },
    ],
  });

  it('agrees with the exact count on both sides of the limit', async () => {
    const counter = await loadTokenCounter('o200k_base');
    const request = big(20_000);
    const exact = countPromptTokens(request, counter);
    expect(promptTokenBound(request)).toBeGreaterThanOrEqual(exact);
    expect(promptFits(request, counter, exact)).toBe(true);
    expect(promptFits(request, counter, exact - 1)).toBe(false);
    expect(promptFits(request, estimateCounter, countPromptTokens(request, estimateCounter))).toBe(true);
  });

  // Micro-benchmark with a loose bound (2 shared cores, other work running): the window check of a
  // 32 KB prompt on a 128k window takes the byte bound, no tokenizing; on a small window it stops
  // at the window. Medians of many runs keep a scheduler hiccup from failing it.
  it('checks a 32 KB prompt against a window in well under a millisecond', async () => {
    const counter = await loadTokenCounter('o200k_base');
    const request = big(32_768);
    const median = (fn: () => void): number => {
      const times: number[] = [];
      for (let i = 0; i < 41; i++) {
        const t = performance.now();
        fn();
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[20]!;
    };
    let fits = false;
    const wide = median(() => (fits = promptFits(request, counter, 128_000)));
    expect(fits).toBe(true);
    expect(wide).toBeLessThan(1);
    const narrow = median(() => (fits = promptFits(request, counter, 1_000)));
    expect(fits).toBe(false);
    expect(narrow).toBeLessThan(5);
  });
});
