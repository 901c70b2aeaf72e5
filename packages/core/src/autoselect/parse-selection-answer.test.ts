import { describe, expect, it } from 'vitest';
import { parseSelectionAnswer } from './parse-selection-answer';

const ids = [
  'user-rotation/coding-production',
  'user-provider/runpod-gpu-a/deepseek-coder-v2',
  'user-provider/openai-prod/gpt-4.1-mini',
];

describe('parseSelectionAnswer', () => {
  it.each([
    [
      'the AISBF tag',
      '<aisbf_model_autoselection>user-provider/openai-prod/gpt-4.1-mini</aisbf_model_autoselection>',
      ids[2],
    ],
    [
      'the tag with whitespace and a newline',
      '\n  <aisbf_model_autoselection> user-rotation/coding-production </aisbf_model_autoselection>\n',
      ids[0],
    ],
    ['a bare id', 'user-provider/runpod-gpu-a/deepseek-coder-v2', ids[1]],
    ['a quoted bare id', '"user-rotation/coding-production"', ids[0]],
    ['JSON', '{"model_id": "user-provider/openai-prod/gpt-4.1-mini"}', ids[2]],
    [
      'a fenced tag',
      '```\n<aisbf_model_autoselection>user-rotation/coding-production</aisbf_model_autoselection>\n```',
      ids[0],
    ],
    ['fenced JSON', '```json\n{"model_id":"user-rotation/coding-production"}\n```', ids[0]],
    [
      'a think block, then the tag',
      '<think>the task is a refactor</think>\n<aisbf_model_autoselection>user-provider/runpod-gpu-a/deepseek-coder-v2</aisbf_model_autoselection>',
      ids[1],
    ],
  ])('accepts %s', (_name, answer, expected) => {
    expect(parseSelectionAnswer(answer, ids)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['an unknown id in the tag', '<aisbf_model_autoselection>gpt-5</aisbf_model_autoselection>', 'unknown model id'],
    ['an unknown bare id', 'gpt-5', 'unknown model id'],
    ['a case variant of an id', 'USER-ROTATION/CODING-PRODUCTION', 'unknown model id'],
    [
      'prose around the tag',
      'I pick <aisbf_model_autoselection>user-rotation/coding-production</aisbf_model_autoselection>',
      'unrecognised answer format',
    ],
    [
      'two tags',
      '<aisbf_model_autoselection>user-rotation/coding-production</aisbf_model_autoselection><aisbf_model_autoselection>x</aisbf_model_autoselection>',
      'malformed selection tag',
    ],
    ['an unclosed tag', '<aisbf_model_autoselection>user-rotation/coding-production', 'malformed selection tag'],
    ['a sentence', 'The best model is user-rotation/coding-production.', 'unrecognised answer format'],
    ['JSON without model_id', '{"model": "user-rotation/coding-production"}', 'JSON answer without a string model_id'],
    ['broken JSON', '{"model_id": ', 'JSON answer without a string model_id'],
    ['an empty answer', '   ', 'empty answer'],
    ['a huge answer', 'x'.repeat(5000), 'answer too long'],
  ])('rejects %s', (_name, answer, error) => {
    expect(parseSelectionAnswer(answer, ids)).toEqual({ ok: false, error });
  });

  it('never quotes the answer in its error', () => {
    const result = parseSelectionAnswer('my secret is hunter2', ids);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).not.toContain('hunter2');
  });
});
