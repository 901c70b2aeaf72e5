import { describe, expect, it } from 'vitest';
import { upstreamBody } from './attempt-once';
import type { AttemptPlan } from './attempt-plan';
import type { Leaf } from './select-leaf';

const leaf = (defaults?: Record<string, unknown>, maxTokens?: number): Leaf =>
  ({
    target: { model: 'served-model', modelInfo: defaults === undefined ? undefined : { defaults } },
    limits: maxTokens === undefined ? {} : { maxTokens },
  }) as unknown as Leaf;

const plan = (body: Record<string, unknown>, stream: boolean, prefill?: string): AttemptPlan =>
  ({
    body,
    stream,
    upstreamPath: '/chat/completions',
    ...(prefill === undefined ? {} : { prefill }),
  }) as unknown as AttemptPlan;

/** What upstreamBody wrote before it copied the body by hand (docs/benchmarks.md "The routing core's CPU"). */
function bySpread(p: AttemptPlan, l: Leaf): string {
  const body: Record<string, unknown> = { ...p.body, model: l.target.model };
  const maxTokens = l.limits.maxTokens;
  if (maxTokens !== undefined && body['max_tokens'] === undefined && body['max_completion_tokens'] === undefined)
    body['max_tokens'] = maxTokens;
  const defaults = l.target.modelInfo?.defaults;
  if (defaults !== undefined) for (const k in defaults) if (body[k] === undefined) body[k] = defaults[k];
  if (p.stream) {
    const so = body['stream_options'];
    body['stream_options'] = { ...(typeof so === 'object' && so !== null ? so : {}), include_usage: true };
  }
  if (p.prefill !== undefined && Array.isArray(body['messages']))
    body['messages'] = [...(body['messages'] as unknown[]), { role: 'assistant', content: p.prefill }];
  return JSON.stringify(body);
}

describe('upstreamBody', () => {
  const bodies: Array<[string, string]> = [
    [
      'the benchmark body',
      '{"model":"r/w1","messages":[{"role":"user","content":"hi"}],"stream":true,"temperature":0}',
    ],
    ['model not first, numeric keys', '{"1":"a","messages":[],"model":"r","0":"b","top_p":1}'],
    ['no model at all', '{"messages":[{"role":"user","content":"hi"}]}'],
    ['the client own stream_options', '{"model":"r","stream_options":{"include_usage":false,"x":1},"stream":true}'],
    ['stream_options null', '{"model":"r","stream_options":null}'],
    ['a __proto__ key stays a field', '{"model":"r","__proto__":{"polluted":true},"messages":[]}'],
  ];
  for (const [name, raw] of bodies)
    for (const stream of [false, true])
      it(`${name} (${stream ? 'stream' : 'non-stream'}): the same bytes as a spread of the body`, () => {
        for (const l of [leaf(), leaf({ temperature: 0.5, seed: 7 }, 99)])
          for (const prefill of [undefined, 'Once upon']) {
            const p = plan(JSON.parse(raw) as Record<string, unknown>, stream, prefill);
            expect(upstreamBody(p, l)).toBe(bySpread(p, l));
          }
      });

  it('never changes the prototype of what it sends, nor the client body', () => {
    const body = JSON.parse('{"model":"r","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const sent = JSON.parse(upstreamBody(plan(body, true), leaf())) as Record<string, unknown>;
    expect(Object.keys(sent)).toEqual(['model', '__proto__', 'stream_options']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(body['model']).toBe('r');
    expect('stream_options' in body).toBe(false);
  });
});
