import { describe, expect, it } from 'vitest';
import { encodingForModel } from './token-encoding';

describe('encodingForModel', () => {
  it('knows OpenAI families by name, with vendor prefixes', () => {
    expect(encodingForModel('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingForModel('openai/gpt-4.1-mini')).toBe('o200k_base');
    expect(encodingForModel('o3-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-5')).toBe('o200k_base');
    expect(encodingForModel('gpt-4-0613')).toBe('cl100k_base');
    expect(encodingForModel('gpt-3.5-turbo')).toBe('cl100k_base');
  });

  it('has no tokenizer for other families (they are estimated)', () => {
    expect(encodingForModel('qwen2.5-coder:32b')).toBeNull();
    expect(encodingForModel('claude-sonnet-4-5')).toBeNull();
    expect(encodingForModel('deepseek-coder-v2')).toBeNull();
    expect(encodingForModel('o1x')).toBeNull();
  });
});
