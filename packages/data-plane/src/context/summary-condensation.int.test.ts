import { countPromptTokens, detectPrivacy, estimateCounter } from '@aisbf/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

type Message = { role: string; content: string };

/**
 * docs/context.md "Condensation": `conversational` and `hierarchical` replace older turns with a
 * summary written by the rotation's `condensation.route` (through aisbf's own routing, cached per
 * conversation prefix); a failed summary or a private conversation with a non-private summariser
 * falls back to sliding_window; the answer and the usage record name the method applied.
 */
describe('summary condensation over HTTP', () => {
  let h: Harness;
  const summariser = 'user-provider/summ/summ-model';
  const small = { provider_id: 'small', model: 'qwen-small', weight: 1000 };
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'small', models: [{ name: 'qwen-small', contextWindow: 4000 }] },
        { id: 'large', models: [{ name: 'qwen-large', contextWindow: 128_000 }] },
        { id: 'summ', models: ['summ-model'] },
        { id: 'flaky', models: ['flaky-model'] },
        { id: 'vault', models: ['vault-model'] },
        { id: 'tiny', models: [{ name: 'tiny-model', contextWindow: 1000 }] },
      ],
      rotations: [
        {
          id: 'chatty',
          config: {
            providers: [
              { ...small, condense_method: ['conversational'] },
              { provider_id: 'large', model: 'qwen-large', weight: 1 },
            ],
            condensation: { route: summariser, max_tokens: 400, timeout_s: 5 },
          },
        },
        {
          id: 'layered',
          config: {
            providers: [{ ...small, condense_method: 'hierarchical' }],
            condensation: { route: summariser, max_tokens: 400 },
          },
        },
        {
          id: 'shaky',
          config: {
            providers: [{ ...small, condense_method: ['conversational'] }],
            condensation: { route: 'user-provider/flaky/flaky-model', timeout_s: 0.5 },
          },
        },
        { id: 'vault', config: { privacy: true, providers: [{ provider_id: 'vault', model: 'vault-model' }] } },
        {
          id: 'guarded',
          config: {
            providers: [{ ...small, condense_method: ['conversational'] }],
            condensation: { route: 'user-rotation/vault', max_tokens: 400 },
          },
        },
        // A summariser whose own entry would need a summary to take the transcript: it is not given one.
        {
          id: 'tiny-summ',
          config: {
            providers: [{ provider_id: 'tiny', model: 'tiny-model', condense_method: 'conversational' }],
            condensation: { route: 'user-rotation/tiny-summ' },
          },
        },
        {
          id: 'recursive',
          config: {
            providers: [{ ...small, condense_method: ['conversational'] }],
            condensation: { route: 'user-rotation/tiny-summ' },
          },
        },
      ],
    });
  });
  afterAll(async () => h.close());
  beforeEach(() => {
    for (const mock of Object.values(h.mocks)) mock.reset();
  });

  // About 60,000 characters over 40 turns, then the question: far beyond 4,000 tokens by any count.
  // `topic` makes each test's conversation its own (the summary cache lives as long as the data plane).
  const conversationAbout = (topic: string): { turns: Message[]; last: Message; all: Message[] } => {
    const turns = Array.from({ length: 40 }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `turn ${i} about ${topic}: ${'the quick brown fox jumps over the lazy dog '.repeat(33)}`,
    }));
    const last = { role: 'user', content: `Given all that about ${topic}, which turn mentioned the fox first?` };
    return { turns, last, all: [{ role: 'system', content: 'You answer in one sentence.' }, ...turns, last] };
  };
  const sentTo = (provider: string, n = 0): Message[] =>
    (h.mocks[provider]!.requests[n]!.body as { messages: Message[] }).messages;
  const tokensOf = (messages: unknown[]): number => countPromptTokens({ messages }, estimateCounter);
  const ask = (route: string, messages: Message[]) =>
    post(`${h.v1}/chat/completions`, h.tokens.alice, { model: `user-rotation/${route}`, messages, max_tokens: 500 });

  it('conversational: the 4,000-token entry serves a 40-turn conversation with the older turns summarised', async () => {
    const { turns, last, all } = conversationAbout('apples');
    expect(all.reduce((n, m) => n + m.content.length, 0)).toBeGreaterThan(58_000);
    const res = await ask('chatty', all);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('small');
    expect(h.mocks['large']!.requests).toHaveLength(0);
    // The summariser got the older turns as a transcript, bounded by condensation.max_tokens.
    expect(h.mocks['summ']!.requests).toHaveLength(1);
    const asked = h.mocks['summ']!.requests[0]!.body as { messages: Message[]; max_tokens: number };
    expect(asked.max_tokens).toBe(400);
    expect(asked.messages[1]!.content).toContain(turns[0]!.content);
    expect(asked.messages[1]!.content).not.toContain(last.content);
    // The entry got: the instructions, the summary, then the newest turns and the last one verbatim.
    const sent = sentTo('small');
    expect(sent[0]).toEqual(all[0]);
    expect(sent[1]!.role).toBe('system');
    expect(sent[1]!.content).toMatch(/^Summary of the \d+ earlier messages of this conversation/);
    expect(sent[1]!.content).toContain('w1 w2 w3');
    const tail = sent.slice(2);
    expect(tail.length).toBeGreaterThan(1);
    expect(tail).toEqual(all.slice(all.length - tail.length));
    expect(sent.at(-1)).toEqual(last);
    // What the summary covers and what is kept verbatim meet exactly: no turn lost, none twice.
    const covered = Number(/the (\d+) earlier/.exec(sent[1]!.content)![1]);
    expect(covered + tail.length).toBe(turns.length + 1);
    expect(asked.messages[1]!.content).toContain(turns[covered - 1]!.content);
    expect(asked.messages[1]!.content).not.toContain(turns[covered]!.content);
    const before = tokensOf(all);
    const after = tokensOf(sent);
    expect(after).toBeLessThanOrEqual(4000 - 500);
    const header = res.headers.get('x-aisbf-condensed');
    expect(header).toBe(`conversational; ${before}->${after}`);
    const served = h.events.find((e) => e.route === 'user-rotation/chatty' && e.condensed === header);
    expect(served?.attempts).toEqual([expect.objectContaining({ provider: 'small', outcome: 'ok' })]);
    // The summary is a request of the user's own: its usage event, with the summariser's tokens.
    const summary = h.events.filter((e) => e.autoselectReason === 'condensation').at(-1)!;
    expect(summary).toMatchObject({ route: summariser, provider: 'summ', model: 'summ-model', status: 200 });
    expect(summary.promptTokens).toBeGreaterThan(10_000);
    expect(summary.completionTokens).toBeGreaterThan(0);
    expect(summary.userId).toBe('u-alice');
  });

  it('reuses the cached summary for the same request and for the next turn of the conversation', async () => {
    const { all } = conversationAbout('pears');
    const first = await ask('chatty', all);
    expect(first.headers.get('x-aisbf-condensed')).toMatch(/^conversational; /);
    const again = await ask('chatty', all);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-aisbf-condensed')).toBe(first.headers.get('x-aisbf-condensed'));
    const next = [
      ...all,
      { role: 'assistant', content: 'Turn 0 did.' },
      { role: 'user', content: 'And which one mentioned the dog last?' },
    ];
    const turnAfter = await ask('chatty', next);
    expect(turnAfter.status).toBe(200);
    expect(turnAfter.headers.get('x-aisbf-condensed')).toMatch(/^conversational; \d+->\d+$/);
    // One summary for all three requests.
    expect(h.mocks['summ']!.requests).toHaveLength(1);
    expect(h.mocks['small']!.requests).toHaveLength(3);
    expect(sentTo('small', 2)[1]).toEqual(sentTo('small', 0)[1]);
    expect(sentTo('small', 2).slice(-2)).toEqual(next.slice(-2));
    expect(tokensOf(sentTo('small', 2))).toBeLessThanOrEqual(3500);
  });

  it('hierarchical: keeps the opening exchange and the newest turns, and digests the middle', async () => {
    const { turns, last, all } = conversationAbout('plums');
    const res = await ask('layered', all);
    expect(res.status).toBe(200);
    expect(h.mocks['summ']!.requests).toHaveLength(1);
    const transcript = (h.mocks['summ']!.requests[0]!.body as { messages: Message[] }).messages[1]!.content;
    expect(transcript).not.toContain(turns[0]!.content);
    expect(transcript).not.toContain(turns[1]!.content);
    expect(transcript).toContain(turns[2]!.content);
    const sent = sentTo('small');
    expect(sent.slice(0, 3)).toEqual(all.slice(0, 3));
    expect(sent[3]!.role).toBe('system');
    expect(sent[3]!.content).toMatch(/^Summary of the \d+ messages between the opening of this conversation/);
    const tail = sent.slice(4);
    expect(tail).toEqual(all.slice(all.length - tail.length));
    expect(sent.at(-1)).toEqual(last);
    const covered = Number(/the (\d+) messages/.exec(sent[3]!.content)![1]);
    expect(2 + covered + tail.length).toBe(turns.length + 1);
    expect(res.headers.get('x-aisbf-condensed')).toBe(`hierarchical; ${tokensOf(all)}->${tokensOf(sent)}`);
    expect(tokensOf(sent)).toBeLessThanOrEqual(3500);
  });

  it('falls back to sliding_window when the summariser answers 500', async () => {
    h.mocks['flaky']!.setDefault({ kind: 'status', status: 500 });
    const { all, last } = conversationAbout('figs');
    const res = await ask('shaky', all);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-provider')).toBe('small');
    expect(res.headers.get('x-aisbf-condensed')).toMatch(/^sliding_window; \d+->\d+$/);
    expect(h.mocks['flaky']!.requests.length).toBeGreaterThan(0);
    const sent = sentTo('small');
    expect(sent.at(-1)).toEqual(last);
    expect(sent.some((m) => m.content.startsWith('Summary of'))).toBe(false);
    const served = h.events.find((e) => e.route === 'user-rotation/shaky')!;
    expect(served.condensed).toBe(res.headers.get('x-aisbf-condensed'));
    expect(served.attempts[0]!.reason).toMatch(/^conversational: the summary failed/);
  });

  it('falls back to sliding_window when the summariser does not answer within timeout_s', async () => {
    h.mocks['flaky']!.setDefault({ kind: 'hang' });
    const { all } = conversationAbout('dates');
    const started = performance.now();
    const res = await ask('shaky', all);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-condensed')).toMatch(/^sliding_window; /);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(h.mocks['flaky']!.requests).toHaveLength(1);
    const served = h.events.find(
      (e) =>
        e.route === 'user-rotation/shaky' && e.condensed !== null && e.requestId === res.headers.get('x-request-id'),
    )!;
    expect(served.attempts[0]!.reason).toContain('did not answer within 0.5 s');
  });

  it('does not ask a failing summariser again when the entry is retried', async () => {
    h.mocks['flaky']!.setDefault({ kind: 'status', status: 500 });
    h.mocks['small']!.enqueue({ kind: 'status', status: 503 });
    const { all } = conversationAbout('kiwis');
    const seen = h.events.length;
    const res = await ask('shaky', all);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-condensed')).toMatch(/^sliding_window; /);
    expect(h.mocks['small']!.requests).toHaveLength(2);
    expect(sentTo('small', 1)).toEqual(sentTo('small', 0));
    const summaries = h.events.slice(seen).filter((e) => e.autoselectReason === 'condensation');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.status).toBe(502);
  });

  it('never shows a conversation holding an access key to a summariser that is not private', async () => {
    const { all, turns } = conversationAbout('keys');
    turns[3]!.content += ' aws configure set aws_access_key_id AKIAQ7ZK3M9XWB2RT5HV';
    const leaky = all.map((m, i) => (i === 4 ? turns[3]! : m));
    expect(detectPrivacy(leaky).private).toBe(true);
    const res = await ask('chatty', leaky);
    expect(res.status).toBe(200);
    expect(h.mocks['summ']!.requests).toHaveLength(0);
    expect(res.headers.get('x-aisbf-condensed')).toMatch(/^sliding_window; /);
    const served = h.events.filter((e) => e.route === 'user-rotation/chatty').at(-1)!;
    expect(served.attempts[0]!.reason).toContain('looks private (api_key)');
    // A private summariser (a rotation marked privacy: true) may summarise it.
    const guarded = await ask('guarded', leaky);
    expect(guarded.status).toBe(200);
    expect(guarded.headers.get('x-aisbf-condensed')).toMatch(/^conversational; /);
    expect(h.mocks['vault']!.requests).toHaveLength(1);
    expect(h.mocks['summ']!.requests).toHaveLength(0);
  });

  it('skips a summariser entry too small for the transcript rather than summarising the summary request', async () => {
    const { all } = conversationAbout('limes');
    const res = await ask('recursive', all);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-condensed')).toMatch(/^sliding_window; /);
    // The summariser's own entry cannot take the transcript and was skipped, never summarised.
    expect(h.mocks['tiny']!.requests).toHaveLength(0);
    const summary = h.events.filter((e) => e.autoselectReason === 'condensation').at(-1)!;
    expect(summary.route).toBe('user-rotation/tiny-summ');
    expect(summary.attempts).toEqual([expect.objectContaining({ provider: 'tiny', outcome: 'skipped' })]);
  });
});
