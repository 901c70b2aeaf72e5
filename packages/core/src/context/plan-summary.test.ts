import { describe, expect, it } from 'vitest';
import { countPromptTokens } from './count-prompt-tokens';
import { estimateCounter } from './count-tokens';
import { planSummary, summarisedTurns, withSummary } from './plan-summary';
import { summaryPrompt } from './summary-prompt';

const filler = (i: number): string => `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(34)}`;
const system = { role: 'system', content: 'You answer in one sentence.' };
const turns = Array.from({ length: 40 }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: filler(i) }));
const last = { role: 'user', content: 'Which turn mentioned the fox first?' };
const request = { model: 'qwen', messages: [system, ...turns, last] };
const summary = 'w '.repeat(300);

describe('planSummary', () => {
  it('conversational: summarises the older turns, keeps the newest within half the room left, and fits', () => {
    const plan = planSummary(request, estimateCounter, { method: 'conversational', room: 3500, summaryTokens: 400 });
    if (!plan.ok) throw new Error(plan.error);
    expect(plan.value.start).toBe(0);
    expect(plan.value.ends.at(-1)).toBe(41);
    expect(plan.value.ends).toContain(plan.value.fresh);
    const covered = summarisedTurns(request, 0, plan.value.fresh);
    expect(covered).toEqual(turns.slice(0, plan.value.fresh - 1));
    // Every end leaves a prompt that fits with a summary of the reserved size; the oldest one more would not.
    for (const end of plan.value.ends) {
      const condensed = withSummary(request, plan.value, end, summary);
      expect(countPromptTokens(condensed, estimateCounter)).toBeLessThanOrEqual(3500);
    }
    const condensed = withSummary(request, plan.value, plan.value.fresh, summary);
    const messages = condensed['messages'] as Array<{ role: string; content: string }>;
    expect(messages[0]).toEqual(system);
    expect(messages[1]!.role).toBe('system');
    expect(messages[1]!.content).toContain(`the ${plan.value.fresh - 1} earlier messages`);
    expect(messages.slice(2)).toEqual(request.messages.slice(plan.value.fresh));
    expect(messages.at(-1)).toEqual(last);
    // Slack for the next turns: the verbatim tail takes at most about half of what the summary leaves.
    expect(plan.value.fresh).toBeGreaterThan(plan.value.ends[0]!);
  });

  it('hierarchical: keeps the opening exchange and the newest turns, summarises the middle', () => {
    const plan = planSummary(request, estimateCounter, { method: 'hierarchical', room: 3500, summaryTokens: 400 });
    if (!plan.ok) throw new Error(plan.error);
    expect(plan.value.start).toBe(3);
    const condensed = withSummary(request, plan.value, plan.value.fresh, summary);
    const messages = condensed['messages'] as Array<{ role: string; content: string }>;
    expect(messages.slice(0, 3)).toEqual(request.messages.slice(0, 3));
    expect(messages[3]!.content).toContain('between the opening of this conversation and its latest turns');
    expect(messages.slice(4)).toEqual(request.messages.slice(plan.value.fresh));
    expect(countPromptTokens(condensed, estimateCounter)).toBeLessThanOrEqual(3500);
  });

  it('keeps a tool call with its results on one side of the summary', () => {
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    };
    const result = { role: 'tool', tool_call_id: 'c1', content: filler(99) };
    const withTools = { messages: [system, ...turns.slice(0, 20), call, result, ...turns.slice(20), last] };
    const plan = planSummary(withTools, estimateCounter, { method: 'conversational', room: 3500, summaryTokens: 400 });
    if (!plan.ok) throw new Error(plan.error);
    const toolAt = withTools.messages.indexOf(result);
    expect(plan.value.ends).not.toContain(toolAt);
  });

  it('refuses what cannot fit, and a conversation with nothing to summarise', () => {
    const tiny = planSummary(request, estimateCounter, { method: 'conversational', room: 300, summaryTokens: 400 });
    expect(tiny.ok).toBe(false);
    const short = { messages: [system, turns[0], turns[1], last] };
    const middle = planSummary(short, estimateCounter, { method: 'hierarchical', room: 3500, summaryTokens: 400 });
    expect(middle).toEqual({
      ok: false,
      error: 'no middle to summarise between the opening exchange and the last turn',
    });
    const none = planSummary({ messages: [system, last] }, estimateCounter, {
      method: 'conversational',
      room: 3500,
      summaryTokens: 400,
    });
    expect(none.ok).toBe(false);
  });

  it('shows the summariser a transcript of the turns, not the turns as chat messages', () => {
    const prompt = summaryPrompt(turns.slice(0, 2), { method: 'conversational', maxTokens: 400 });
    expect(prompt).toHaveLength(2);
    expect(prompt[0]!.role).toBe('system');
    expect(prompt[1]!.content).toContain(`user: ${filler(0)}`);
    expect(prompt[1]!.content).toContain(`assistant: ${filler(1)}`);
  });
});
