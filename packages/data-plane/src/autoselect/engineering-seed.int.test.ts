import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from '../test-harness';

/**
 * docs/autoselect.md end to end over HTTP with mock providers: the seed's `engineering` autoselect
 * (seed/aisbf-integration-guide.txt, verbatim) above a private `coding-production` rotation, a RunPod
 * GPU endpoint and a hosted model, with `general` (a rotation) as the selection model.
 */
const PRIVATE_ROUTE = 'user-rotation/coding-production';
const GPU = 'user-provider/runpod-gpu-a/deepseek-coder-v2';
const HOSTED = 'user-provider/openai-prod/gpt-4.1-mini';

const selectionAnswer = (content: string) => ({
  kind: 'status' as const,
  status: 200,
  body: {
    id: 'sel-1',
    object: 'chat.completion',
    created: 1,
    model: 'm-sel',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
  },
});

describe('seed engineering autoselect over mock providers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      providers: [
        { id: 'broker', models: ['qwen2.5-coder:32b'] },
        { id: 'runpod-gpu-a', models: ['deepseek-coder-v2'] },
        { id: 'openai-prod', models: ['gpt-4.1-mini'] },
        { id: 'selector', models: ['m-sel'] },
      ],
      rotations: [
        {
          id: 'coding-production',
          config: {
            model_name: 'coding-production',
            privacy: true,
            providers: [{ provider_id: 'broker', model: 'qwen2.5-coder:32b', weight: 10 }],
          },
        },
        {
          id: 'general',
          config: { model_name: 'general', providers: [{ provider_id: 'selector', model: 'm-sel', weight: 1 }] },
        },
      ],
      autoselects: [
        {
          id: 'engineering',
          config: {
            model_name: 'engineering',
            selection_model: 'general',
            fallback: PRIVATE_ROUTE,
            classify_privacy: true,
            classify_semantic: true,
            selection_timeout_ms: 300,
            available_models: [
              { model_id: PRIVATE_ROUTE, description: 'Private code, logs, secrets, customer data.', privacy: true },
              { model_id: GPU, description: 'Long refactors and GPU-heavy coding when data is not secret.' },
              { model_id: HOSTED, description: 'Fast hosted fallback for non-private tasks.' },
            ],
          },
        },
      ],
    });
  });
  afterEach(() => {
    for (const m of Object.values(h.mocks)) m.reset();
  });
  afterAll(async () => h.close());

  const ask = (content: string) =>
    post(`${h.aliceBase}/chat/completions`, h.tokens.alice, {
      model: 'engineering',
      messages: [{ role: 'user', content }],
    });
  const served = (mock: string) => h.mocks[mock]!.requests.length;

  it.each([
    [
      'an API key',
      `deploy fails with OPENAI_API_KEY=sk-proj-${'Q9x2Lm7Vt4Rk8Pw3Zn6Yb1Hc5Jd0Fg7Ks2Ae9U'} set, why?`,
      'api_key,secret',
    ],
    [
      "a customer's email and IBAN",
      'Refund anna.berg@web.de to DE89 3704 0044 0532 0130 00 and draft the reply',
      'email,iban',
    ],
  ])(
    'a prompt with %s goes to the private rotation; the selection model receives nothing',
    async (_name, prompt, findings) => {
      h.mocks['selector']!.setDefault(
        selectionAnswer(`<aisbf_model_autoselection>${HOSTED}</aisbf_model_autoselection>`),
      );
      const res = await ask(prompt);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('privacy');
      expect(res.headers.get('x-aisbf-route')).toBe(PRIVATE_ROUTE);
      expect(res.headers.get('x-aisbf-provider')).toBe('broker');
      expect(res.headers.get('x-aisbf-privacy-findings')).toBe(findings);
      expect([served('selector'), served('runpod-gpu-a'), served('openai-prod'), served('broker')]).toEqual([
        0, 0, 0, 1,
      ]);
    },
  );

  it('a harmless refactoring request goes where the selection model answers', async () => {
    h.mocks['selector']!.setDefault(selectionAnswer(`<aisbf_model_autoselection>${GPU}</aisbf_model_autoselection>`));
    const res = await ask('Refactor this 2000-line module into smaller files with clear interfaces');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('semantic');
    expect(res.headers.get('x-aisbf-route')).toBe(GPU);
    expect(res.headers.get('x-aisbf-provider')).toBe('runpod-gpu-a');
    expect(served('selector')).toBe(1);
    const prompt = JSON.stringify(h.mocks['selector']!.requests[0]!.body);
    expect(prompt).toContain('<aisbf_current_task>');
    expect(prompt).toContain('Refactor this 2000-line module');
  });

  it('a garbled selection answer goes to fallback', async () => {
    h.mocks['selector']!.setDefault(selectionAnswer('Probably the GPU one? Hard to say.'));
    const res = await ask('Explain the difference between TCP and UDP');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('fallback');
    expect(res.headers.get('x-aisbf-route')).toBe(PRIVATE_ROUTE);
    expect(res.headers.get('x-aisbf-provider')).toBe('broker');
  });

  it('a slow selection model goes to fallback after selection_timeout_ms', async () => {
    h.mocks['selector']!.setDefault({ kind: 'delay', ms: 5_000 });
    const started = Date.now();
    const res = await ask('Explain closures in JavaScript');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aisbf-autoselect-reason')).toBe('fallback');
    expect(res.headers.get('x-aisbf-provider')).toBe('broker');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
