import { describe, expect, it } from 'vitest';
import { countPromptTokens } from './count-prompt-tokens';
import { estimateCounter, loadTokenCounter, type TokenCounter } from './count-tokens';
import { slideWindow } from './slide-window';

const filler = (i: number): string => `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(34)}`;
// 40 turns of about 1,500 characters: about 60,000 characters, far beyond 4,000 tokens.
const longConversation = Array.from({ length: 40 }, (_, i) => ({
  role: i % 2 === 0 ? 'user' : 'assistant',
  content: filler(i),
}));

describe('slideWindow', () => {
  it('fits a 40-turn, 60,000-character conversation into a 4,000-token window, newest turns kept', async () => {
    const counter = await loadTokenCounter('o200k_base');
    const messages = [{ role: 'system', content: 'You are terse.' }, ...longConversation];
    expect(messages.reduce((n, m) => n + m.content.length, 0)).toBeGreaterThan(60_000);
    const request = { model: 'gpt-4o', messages, temperature: 0.2 };
    const result = slideWindow(request, counter, 4000);
    if (!result.ok) throw new Error(result.reason);
    expect(result.before).toBe(countPromptTokens(request, counter));
    expect(result.before).toBeGreaterThan(12_000);
    expect(result.after).toBe(countPromptTokens(result.request, counter));
    expect(result.after).toBeLessThanOrEqual(4000);
    const kept = result.request['messages'] as typeof messages;
    expect(kept[0]).toEqual({ role: 'system', content: 'You are terse.' });
    // The newest turns, contiguous, ending with the conversation's last message verbatim.
    const tail = messages.slice(messages.length - (kept.length - 1));
    expect(kept.slice(1)).toEqual(tail);
    expect(kept.length).toBeGreaterThan(3);
    expect(result.dropped).toBe(messages.length - kept.length);
    expect(result.request['temperature']).toBe(0.2);
    // One more turn would not have fitted: the window is used, not merely respected.
    const oneMore = { ...request, messages: [messages[0], messages[messages.length - kept.length], ...kept.slice(1)] };
    expect(countPromptTokens(oneMore, counter)).toBeGreaterThan(4000);
    // docs/context.md "Costs": condensing it (counting every turn exactly) takes a few milliseconds.
    // The work is bounded first, independent of the machine: the tokenizer reads each turn once
    // (the before figure), and the kept turns and the first one dropped again (the fit, the after
    // figure); never once per turn kept.
    const reads = new Map<string, number>();
    const read = (text: string): void => void reads.set(text, (reads.get(text) ?? 0) + 1);
    const tallied: TokenCounter = {
      encoding: counter.encoding,
      count: (text) => (read(text), counter.count(text)),
      countUpTo: (text, limit) => (read(text), counter.countUpTo(text, limit)),
    };
    slideWindow(request, tallied, 4000);
    const turnReads = messages.map((m) => reads.get(m.content) ?? 0);
    expect(Math.max(...turnReads)).toBeLessThanOrEqual(3);
    expect(turnReads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(messages.length + 2 * kept.length + 1);
    // Then its time: this process's CPU time, which a loaded machine does not inflate the way it
    // does wall time (a process waiting for a core accrues none). Warmed up first; the bound is
    // loose because the test machine is shared.
    for (let i = 0; i < 5; i++) slideWindow(request, counter, 4000);
    const runs = Array.from({ length: 21 }, () => {
      const started = process.cpuUsage();
      slideWindow(request, counter, 4000);
      const spent = process.cpuUsage(started);
      return (spent.user + spent.system) / 1000;
    }).sort((a, b) => a - b);
    expect(runs[10]).toBeLessThan(50);
  });

  it('keeps a tool call and its results whole, or drops them together', () => {
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'c1', type: 'function', function: { name: 'read', arguments: '{"path":"a.ts"}' } },
        { id: 'c2', type: 'function', function: { name: 'read', arguments: '{"path":"b.ts"}' } },
      ],
    };
    const results = [
      { role: 'tool', tool_call_id: 'c1', content: 'x'.repeat(700) },
      { role: 'tool', tool_call_id: 'c2', content: 'y'.repeat(700) },
    ];
    const last = { role: 'user', content: 'so what do both files do?' };
    const messages = [
      { role: 'system', content: 'sys' },
      { role: 'user', content: filler(0) },
      { role: 'assistant', content: filler(1) },
      { role: 'user', content: 'read a.ts and b.ts' },
      call,
      ...results,
      { role: 'assistant', content: 'read both.' },
      last,
    ];
    const request = { messages };
    const fixed = countPromptTokens({ messages: [messages[0], last] }, estimateCounter);
    const afterPair = countPromptTokens({ messages: [messages[0], ...messages.slice(3)] }, estimateCounter);

    // Room for the pair and its question: all of it kept, nothing split.
    const whole = slideWindow(request, estimateCounter, afterPair);
    if (!whole.ok) throw new Error(whole.reason);
    expect(whole.request['messages']).toEqual([messages[0], ...messages.slice(3)]);

    // Room for the answer after the pair and one tool result, but not both: the pair goes as one.
    const partial = slideWindow(request, estimateCounter, afterPair - 150);
    if (!partial.ok) throw new Error(partial.reason);
    const kept = partial.request['messages'] as unknown[];
    expect(kept).toEqual([messages[0], { role: 'assistant', content: 'read both.' }, last]);
    expect(kept.some((m) => (m as { role: string }).role === 'tool')).toBe(false);
    expect(partial.after).toBeLessThanOrEqual(afterPair - 150);
    expect(partial.after).toBeGreaterThan(fixed);
  });

  it('keeps what follows the last user turn (a tool call in progress) verbatim', () => {
    const messages = [
      { role: 'user', content: filler(0) },
      { role: 'user', content: 'run it' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'run', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c', content: 'ok' },
    ];
    const result = slideWindow({ messages }, estimateCounter, 200);
    if (!result.ok) throw new Error(result.reason);
    expect(result.request['messages']).toEqual(messages.slice(1));
  });

  it('answers cannot fit when the instructions and the last turn alone pass the room', () => {
    const request = {
      messages: [
        { role: 'system', content: 'a'.repeat(2000) },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c'.repeat(2000) },
      ],
    };
    const result = slideWindow(request, estimateCounter, 500);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.before).toBe(countPromptTokens(request, estimateCounter));
    expect(result.reason).toMatch(/alone take \d+ tokens, more than the 500 available/);
  });

  it('answers cannot fit when there is no user turn', () => {
    const result = slideWindow({ messages: [{ role: 'system', content: 's' }] }, estimateCounter, 500);
    expect(result).toMatchObject({ ok: false, reason: 'no user turn to keep' });
  });
});
