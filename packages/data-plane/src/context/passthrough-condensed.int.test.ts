import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockAnthropic, type MockAnthropic } from '@aisbf/testkit';
import { startHarness, words, type Harness } from '../test-harness';

/**
 * docs/context.md "Condensation": an Anthropic client on an `anthropic` entry is condensed like
 * any other client. The condensed attempt is translated (the client's own body would be the
 * uncondensed one); a request that fits still passes through unchanged.
 */
describe('a pass-through client on an entry that condenses', () => {
  let claude: MockAnthropic;
  let h: Harness;
  beforeAll(async () => {
    claude = await startMockAnthropic({ apiKey: 'sk-provider-secret-123', models: ['claude-small'], words: 5 });
    h = await startHarness({
      providers: [
        {
          id: 'claude',
          deadEndpoint: true,
          models: [{ name: 'claude-small', contextWindow: 4000 }],
          extra: { type: 'anthropic', endpoint: claude.url },
        },
      ],
      rotations: [
        {
          id: 'coding',
          config: { providers: [{ provider_id: 'claude', model: 'claude-small', condense_method: 'sliding_window' }] },
        },
      ],
    });
  });
  afterAll(async () => {
    await h.close();
    await claude.close();
  });

  const lastTurn = 'Given all that, which turn mentioned the fox first?';
  const conversation: Anthropic.MessageParam[] = [
    ...Array.from({ length: 40 }, (_, i) => ({
      role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: `turn ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(34)}`,
    })),
    { role: 'user', content: lastTurn },
  ];

  it('sends the condensed conversation, translated, and answers in the Anthropic shape with the header', async () => {
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const { data, response } = await client.messages
      .create({ model: 'user-rotation/coding', max_tokens: 500, system: 'Answer briefly.', messages: conversation })
      .withResponse();
    expect(data.content).toEqual([{ type: 'text', text: words(1, 5) }]);
    expect(response.headers.get('x-aisbf-condensed')).toMatch(/^sliding_window; \d+->\d+$/);
    expect(claude.requests).toHaveLength(1);
    const sent = JSON.parse(claude.requests[0]!.raw) as { system: unknown; messages: Array<{ content: unknown }> };
    expect(sent.messages.length).toBeLessThan(conversation.length);
    expect(JSON.stringify(sent.messages.at(-1))).toContain(lastTurn);
    expect(JSON.stringify(sent.system)).toContain('Answer briefly.');
    expect(h.events.at(-1)).toMatchObject({ status: 200, outcome: 'ok' });
    expect(h.events.at(-1)!.condensed).toMatch(/^sliding_window; /);
  });

  it('a request that fits still passes through byte for byte', async () => {
    claude.requests.length = 0;
    const body = { model: 'user-rotation/coding', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] };
    const client = new Anthropic({ apiKey: h.tokens.alice, baseURL: h.url, maxRetries: 0 });
    const { response } = await client.messages.create(body as Anthropic.MessageCreateParamsNonStreaming).withResponse();
    expect(response.headers.get('x-aisbf-condensed')).toBeNull();
    expect(claude.requests[0]!.raw).toBe(JSON.stringify({ ...body, model: 'claude-small' }));
  });
});
