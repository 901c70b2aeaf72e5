import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingRequestSchema,
  passesRequestSchema,
} from './request-schemas';

const SCHEMAS = {
  'chat.completions': chatRequestSchema,
  completions: completionRequestSchema,
  embeddings: embeddingRequestSchema,
} as const;
const ENDPOINTS = Object.keys(SCHEMAS) as Array<keyof typeof SCHEMAS>;

/** Bodies near the valid shapes: every field either right, missing or of a wrong type. */
const field = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.string(),
  fc.boolean(),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
);
const message = fc.oneof(
  fc.record({ role: fc.oneof(fc.string(), fc.jsonValue()), content: fc.jsonValue() }, { requiredKeys: [] }),
  fc.jsonValue(),
);
const body = fc.oneof(
  fc.record(
    {
      model: field,
      messages: fc.oneof(fc.array(message, { maxLength: 4 }), field),
      stream: field,
      prompt: field,
      input: field,
      temperature: field,
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);

describe('the request fast check', () => {
  it('never accepts a body its schema rejects', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ENDPOINTS), body, (endpoint, value) => {
        const json: unknown = value === undefined ? undefined : JSON.parse(JSON.stringify(value) ?? 'null');
        if (passesRequestSchema(endpoint, json)) expect(SCHEMAS[endpoint].safeParse(json).success).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the ordinary requests of each endpoint', () => {
    expect(
      passesRequestSchema('chat.completions', {
        model: 'r',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        top_p: 0.5,
      }),
    ).toBe(true);
    expect(passesRequestSchema('completions', { model: 'r', prompt: 'hi' })).toBe(true);
    expect(passesRequestSchema('embeddings', { model: 'r', input: ['a', 'b'] })).toBe(true);
    expect(passesRequestSchema('chat.completions', { model: 'r', messages: [] })).toBe(false);
    expect(passesRequestSchema('chat.completions', { model: '', messages: [{ role: 'user' }] })).toBe(false);
    expect(passesRequestSchema('chat.completions', [{ model: 'r' }])).toBe(false);
  });
});
