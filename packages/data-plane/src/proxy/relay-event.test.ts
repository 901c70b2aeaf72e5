import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ProxyCall } from './proxy-call';
import { relayEvent } from './relay-event';
import { createRelayState, type RelayState } from './relay-state';

const call = (): ProxyCall =>
  ({
    res: { write: () => true, end: () => undefined, once: () => undefined } as unknown as ServerResponse,
    body: {},
    endpoint: 'chat.completions',
    resolution: { kind: 'provider' },
  }) as unknown as ProxyCall;

const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'm',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });

const relayAll = (s: RelayState, events: string[]): void => {
  for (const e of events) relayEvent(s, e, 0, e.length, true);
};

describe('relayEvent: learning the chunk frame', () => {
  it('learns nothing from a one-chunk answer: its only text chunk is the opening one, with the role', () => {
    const s = createRelayState(call(), 0);
    relayAll(s, [chunk({ role: 'assistant', content: 'w1' })]);
    expect(s.learnTries).toBe(4); // not tried: no probe parses spent on it
    relayAll(s, [chunk({}, 'stop')]); // no text: tried, and refused before any parse
    expect(s.template).toBeNull();
    expect(s.partChars).toBe(2);
  });

  it('learns the frame from the second chunk and relays the rest through it', () => {
    const s = createRelayState(call(), 0);
    relayAll(s, [chunk({ role: 'assistant', content: '' }), chunk({ content: 'a' })]);
    expect(s.template).not.toBeNull();
    relayAll(s, [chunk({ content: 'bc' }), chunk({ content: 'def' })]);
    expect(s.partChars).toBe(6);
    expect(s.learnTries).toBe(3);
  });

  it('learns from a backend that names the role on every chunk, from its second', () => {
    const s = createRelayState(call(), 0);
    relayAll(s, [chunk({ role: 'assistant', content: 'a' }), chunk({ role: 'assistant', content: 'b' })]);
    expect(s.template).not.toBeNull();
    relayAll(s, [chunk({ role: 'assistant', content: 'cd' })]);
    expect(s.learnTries).toBe(3);
    expect(s.partChars).toBe(4);
  });
});
