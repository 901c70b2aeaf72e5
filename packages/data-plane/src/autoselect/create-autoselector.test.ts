import {
  autoselectConfigSchema,
  type AutoselectConfigInput,
  type PromptMessage,
  type SnapshotAutoselect,
} from '@aisbf/core';
import { describe, expect, it } from 'vitest';
import { autoselectDryRunBody, createAutoselector, type AutoselectChoice, type AutoselectDecision } from './index';

const PRIVATE_ROUTE = 'user-rotation/coding-production';
const GPU = 'user-provider/runpod-gpu-a/deepseek-coder-v2';
const HOSTED = 'user-provider/openai-prod/gpt-4.1-mini';

/** The seed's `engineering` autoselect (seed/aisbf-integration-guide.txt), verbatim. */
const ENGINEERING: AutoselectConfigInput = {
  model_name: 'engineering',
  selection_model: 'general',
  fallback: PRIVATE_ROUTE,
  classify_privacy: true,
  classify_semantic: true,
  available_models: [
    { model_id: PRIVATE_ROUTE, description: 'Private code, logs, secrets, customer data.', privacy: true },
    { model_id: GPU, description: 'Long refactors and GPU-heavy coding when data is not secret.' },
    { model_id: HOSTED, description: 'Fast hosted fallback for non-private tasks.' },
  ],
};

const autoselect = (config: AutoselectConfigInput = ENGINEERING, id = 'engineering'): SnapshotAutoselect => ({
  ownerId: 'u-alice',
  id,
  config: autoselectConfigSchema.parse(config),
});

const ask = (text: string) => ({ messages: [{ role: 'user', content: text }] });
const tag = (id: string): string => `<aisbf_model_autoselection>${id}</aisbf_model_autoselection>`;
const KEY = ['sk', 'proj', 'Q9x2Lm7Vt4Rk8Pw3Zn6Yb1Hc5Jd0Fg7Ks2Ae9Uq4Wr6To8Iy3'].join('-');

interface Harness {
  calls: Array<{ route: string; messages: PromptMessage[]; signal: AbortSignal | undefined }>;
  now: { ms: number };
}

function setup(
  answer: (route: string, messages: PromptMessage[], signal: AbortSignal | undefined) => Promise<string>,
  privateRoutes: string[] = [],
) {
  const h: Harness = { calls: [], now: { ms: 1_000_000 } };
  const selector = createAutoselector({
    clock: () => h.now.ms,
    isPrivateRoute: (route) => privateRoutes.includes(route),
    callSelectionModel: (route, messages, opts) => {
      h.calls.push({ route, messages, signal: opts.signal });
      return answer(route, messages, opts.signal);
    },
  });
  return { selector, h };
}

function choice(d: AutoselectDecision): AutoselectChoice {
  if (!d.ok) throw new Error(`expected a choice, got ${d.error.message}`);
  return d;
}

describe('createAutoselector: privacy first', () => {
  it('sends a request with an API key only to the private rotation, and the selection model sees nothing', async () => {
    const { selector, h } = setup(async () => tag(GPU));
    const d = choice(await selector.decide(autoselect(), ask(`why does this fail? OPENAI_API_KEY=${KEY}`)));
    expect(d).toMatchObject({
      routes: [PRIVATE_ROUTE],
      reason: 'privacy',
      private: true,
      cause: 'selection_model_not_private',
      selectionModel: null,
    });
    expect(d.findings).toContain('api_key');
    expect(h.calls).toHaveLength(0);
  });

  it('does the same for a customer email and IBAN', async () => {
    const { selector, h } = setup(async () => tag(HOSTED));
    const d = choice(
      await selector.decide(
        autoselect(),
        ask('Refund anna.berg@web.de to DE89 3704 0044 0532 0130 00, please draft the mail'),
      ),
    );
    expect(d.routes).toEqual([PRIVATE_ROUTE]);
    expect(d.findings).toEqual(['email', 'iban']);
    expect(h.calls).toHaveLength(0);
  });

  it('fails closed with a 403 when no candidate is private, sending nothing', async () => {
    const { selector, h } = setup(async () => tag(HOSTED));
    const config = { ...ENGINEERING, fallback: HOSTED, available_models: ENGINEERING.available_models.slice(1) };
    const d = await selector.decide(autoselect(config), ask('my password is Hunter22!'));
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.error.code).toBe('FORBIDDEN');
    expect(d.error.status).toBe(403);
    expect(d.error.wireCode).toBe('privacy_no_private_candidate');
    expect(d.error.message).toContain('password');
    expect(d.error.message).not.toContain('Hunter22');
    expect(d.findings).toEqual(['password']);
    expect(h.calls).toHaveLength(0);
  });

  it('counts a route the data plane knows is private (a private rotation) as a private candidate', async () => {
    const { selector } = setup(async () => tag(GPU), [GPU]);
    const config = { ...ENGINEERING, fallback: HOSTED, available_models: ENGINEERING.available_models.slice(1) };
    const d = choice(await selector.decide(autoselect(config), ask(`token=${KEY}`)));
    expect(d).toMatchObject({ routes: [GPU], reason: 'privacy', private: true });
  });

  it('asks a private selection model, showing it only private candidates', async () => {
    const config = {
      ...ENGINEERING,
      available_models: [
        ...ENGINEERING.available_models,
        { model_id: 'user-rotation/private-small', description: 'Small private model.', privacy: true },
      ],
    };
    const { selector, h } = setup(async () => tag('user-rotation/private-small'), ['general']);
    const d = choice(
      await selector.decide(
        autoselect(config),
        ask('Customer: John Smith\nAccount number: 12345678\nsummarise his complaint'),
      ),
    );
    expect(d).toMatchObject({
      routes: ['user-rotation/private-small', PRIVATE_ROUTE],
      reason: 'semantic',
      private: true,
      selectionModel: 'general',
    });
    expect(h.calls).toHaveLength(1);
    const prompt = h.calls[0]?.messages[1]?.content ?? '';
    expect(prompt).toContain('user-rotation/private-small');
    expect(prompt).not.toContain(GPU);
    expect(prompt).not.toContain(HOSTED);
  });

  it('ignores a private selection model that picks a non-private candidate', async () => {
    const { selector } = setup(async () => tag(HOSTED), ['general']);
    const d = choice(await selector.decide(autoselect(), ask(`AKIA${'Q7ZK3M2N5P8R4T6V'}`)));
    expect(d).toMatchObject({ routes: [PRIVATE_ROUTE], reason: 'privacy', cause: 'unknown_id' });
  });

  it('treats a user-configured pattern as private', async () => {
    const { selector, h } = setup(async () => tag(HOSTED));
    const d = choice(
      await selector.decide(
        autoselect({ ...ENGINEERING, private_patterns: ['project\\s+bluebird'] }),
        ask('Draft the Project Bluebird launch plan'),
      ),
    );
    expect(d).toMatchObject({ routes: [PRIVATE_ROUTE], reason: 'privacy', findings: ['custom'] });
    expect(h.calls).toHaveLength(0);
  });

  it('a catastrophic-backtracking pattern decides in milliseconds (linear-time engine)', async () => {
    const { selector } = setup(async () => tag(HOSTED));
    const started = performance.now();
    const d = choice(
      await selector.decide(autoselect({ ...ENGINEERING, private_patterns: ['^(a+)+$'] }), ask(`${'a'.repeat(30)}!`)),
    );
    expect(performance.now() - started).toBeLessThan(200);
    expect(d).toMatchObject({ private: false, reason: 'semantic' });
  });

  it('lets private content through to the selection model when classify_privacy is off', async () => {
    const { selector, h } = setup(async () => tag(HOSTED));
    const d = choice(
      await selector.decide(autoselect({ ...ENGINEERING, classify_privacy: false }), ask(`token=${KEY}`)),
    );
    expect(d).toMatchObject({ reason: 'semantic', private: false, findings: [], routes: [HOSTED, PRIVATE_ROUTE, GPU] });
    expect(h.calls).toHaveLength(1);
  });
});

describe('createAutoselector: semantic selection', () => {
  it('serves what the selection model picks, then fallback, then the rest', async () => {
    const { selector, h } = setup(async () => tag(GPU));
    const d = choice(await selector.decide(autoselect(), ask('Refactor this 2000-line module into smaller files')));
    expect(d).toMatchObject({
      routes: [GPU, PRIVATE_ROUTE, HOSTED],
      reason: 'semantic',
      findings: [],
      private: false,
      cause: null,
      selectionModel: 'general',
    });
    expect(h.calls[0]?.route).toBe('general');
    expect(h.calls[0]?.messages[1]?.content).toContain('user: Refactor this 2000-line module into smaller files');
  });

  const failures: Array<[string, () => Promise<string>, string]> = [
    ['a garbled answer', async () => 'I think the GPU one, probably', 'unparseable'],
    ['an unknown id', async () => tag('gpt-5-ultra'), 'unknown_id'],
    ['an error', async () => Promise.reject(new Error('502 from general')), 'error'],
  ];
  it.each(failures)('falls back on %s', async (_name, answer, cause) => {
    const { selector } = setup(answer);
    const d = choice(await selector.decide(autoselect(), ask('Explain closures in JavaScript')));
    expect(d).toMatchObject({ routes: [PRIVATE_ROUTE, GPU, HOSTED], reason: 'fallback', cause });
  });

  it('treats a selection callback that throws synchronously as an error, and recovers', async () => {
    let calls = 0;
    const selector = createAutoselector({
      clock: () => 0,
      isPrivateRoute: () => false,
      callSelectionModel: () => {
        calls++;
        if (calls === 1) throw new Error('no route');
        return Promise.resolve(tag(GPU));
      },
    });
    expect(choice(await selector.decide(autoselect(), ask('Explain closures')))).toMatchObject({
      reason: 'fallback',
      cause: 'error',
    });
    expect(choice(await selector.decide(autoselect(), ask('Explain closures')))).toMatchObject({
      reason: 'semantic',
      routes: [GPU, PRIVATE_ROUTE, HOSTED],
    });
  });

  it('falls back when the selection model is slower than selection_timeout_ms, and aborts it', async () => {
    const { selector, h } = setup(
      (_route, _messages, signal) =>
        new Promise<string>((resolve) => signal?.addEventListener('abort', () => resolve(tag(GPU)))),
    );
    const d = choice(
      await selector.decide(autoselect({ ...ENGINEERING, selection_timeout_ms: 15 }), ask('Explain closures')),
    );
    expect(d).toMatchObject({ reason: 'fallback', cause: 'timeout', routes: [PRIVATE_ROUTE, GPU, HOSTED] });
    expect(h.calls[0]?.signal?.aborted).toBe(true);
  });

  it('goes to fallback without a call when classify_semantic is off', async () => {
    const { selector, h } = setup(async () => tag(GPU));
    const d = choice(await selector.decide(autoselect({ ...ENGINEERING, classify_semantic: false }), ask('hello')));
    expect(d).toMatchObject({ reason: 'fallback', cause: 'semantic_disabled', routes: [PRIVATE_ROUTE, GPU, HOSTED] });
    expect(h.calls).toHaveLength(0);
  });

  it('orders the remaining candidates by priority, lower first, unprioritised last', async () => {
    const config = {
      ...ENGINEERING,
      fallback: HOSTED,
      available_models: [
        { model_id: 'a', description: 'a' },
        { model_id: 'b', description: 'b', priority: 5 },
        { model_id: 'c', description: 'c', priority: 1 },
        { model_id: HOSTED, description: 'hosted', priority: 9 },
      ],
    };
    const { selector } = setup(async () => tag('a'));
    expect(choice(await selector.decide(autoselect(config), ask('hi'))).routes).toEqual(['a', HOSTED, 'c', 'b']);
  });

  it('scans an embeddings input for privacy', async () => {
    const { selector, h } = setup(async () => tag(HOSTED));
    const d = choice(await selector.decide(autoselect(), { input: ['harmless', 'call +49 30 12345678'] }));
    expect(d).toMatchObject({ reason: 'privacy', findings: ['phone'], routes: [PRIVATE_ROUTE] });
    expect(h.calls).toHaveLength(0);
  });

  it('reads a legacy completions prompt', async () => {
    const { selector, h } = setup(async () => tag(HOSTED));
    const d = choice(await selector.decide(autoselect(), { prompt: 'Write a haiku about rivers' }));
    expect(d.reason).toBe('semantic');
    expect(h.calls[0]?.messages[1]?.content).toContain('user: Write a haiku about rivers');
  });
});

describe('createAutoselector: decision cache and single-flight', () => {
  it('reuses a decision for decision_cache_s, then asks again', async () => {
    const { selector, h } = setup(async () => tag(GPU));
    const as = autoselect({ ...ENGINEERING, decision_cache_s: 30 });
    expect(choice(await selector.decide(as, ask('Refactor the parser'))).reason).toBe('semantic');
    h.now.ms += 29_000;
    const again = choice(await selector.decide(as, ask('Refactor the parser')));
    expect(again).toMatchObject({ reason: 'cached', routes: [GPU, PRIVATE_ROUTE, HOSTED], selectionModel: 'general' });
    expect(h.calls).toHaveLength(1);
    h.now.ms += 2_000;
    expect(choice(await selector.decide(as, ask('Refactor the parser'))).reason).toBe('semantic');
    expect(h.calls).toHaveLength(2);
  });

  it('does not reuse a decision for a different conversation or another autoselect', async () => {
    const { selector, h } = setup(async () => tag(GPU));
    await selector.decide(autoselect(), ask('Refactor the parser'));
    await selector.decide(autoselect(), ask('Refactor the lexer'));
    await selector.decide(autoselect(ENGINEERING, 'engineering-2'), ask('Refactor the parser'));
    expect(h.calls).toHaveLength(3);
  });

  it('caches nothing with decision_cache_s 0, and never caches a fallback', async () => {
    const zero = setup(async () => tag(GPU));
    const as = autoselect({ ...ENGINEERING, decision_cache_s: 0 });
    await zero.selector.decide(as, ask('same'));
    await zero.selector.decide(as, ask('same'));
    expect(zero.h.calls).toHaveLength(2);
    const garbled = setup(async () => 'no idea');
    await garbled.selector.decide(autoselect(), ask('same'));
    expect(choice(await garbled.selector.decide(autoselect(), ask('same'))).reason).toBe('fallback');
    expect(garbled.h.calls).toHaveLength(2);
  });

  it('shares one selection call among identical concurrent requests', async () => {
    let release: (text: string) => void = () => undefined;
    const { selector, h } = setup(() => new Promise<string>((resolve) => (release = resolve)));
    const pending = [1, 2, 3].map(() => selector.decide(autoselect(), ask('Port this service to Go')));
    await Promise.resolve();
    release(tag(GPU));
    const decisions = (await Promise.all(pending)).map(choice);
    expect(decisions.map((d) => d.reason)).toEqual(['semantic', 'semantic', 'semantic']);
    expect(decisions.every((d) => d.routes[0] === GPU)).toBe(true);
    expect(h.calls).toHaveLength(1);
  });

  it('close() aborts a pending selection and refuses further decisions', async () => {
    const { selector, h } = setup(
      (_r, _m, signal) =>
        new Promise<string>((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    );
    const pending = selector.decide(autoselect(), ask('long task'));
    await Promise.resolve();
    selector.close();
    const d = choice(await pending);
    expect(d.reason).toBe('fallback');
    expect(h.calls[0]?.signal?.aborted).toBe(true);
    const after = await selector.decide(autoselect(), ask('long task'));
    expect(after.ok).toBe(false);
    if (!after.ok) expect(after.error.code).toBe('UNAVAILABLE');
  });
});

describe('autoselectDryRunBody', () => {
  it('explains a choice and a refusal without the matched text', async () => {
    const { selector } = setup(async () => tag(GPU));
    const body = autoselectDryRunBody(
      'user-autoselect/engineering',
      await selector.decide(autoselect(), ask('Refactor the parser')),
    );
    expect(body).toMatchObject({
      ok: true,
      route: GPU,
      routes: [GPU, PRIVATE_ROUTE, HOSTED],
      reason: 'semantic',
      selection_model: 'general',
      error: null,
    });
    const config = { ...ENGINEERING, fallback: HOSTED, available_models: ENGINEERING.available_models.slice(1) };
    const refused = autoselectDryRunBody(
      'user-autoselect/x',
      await selector.decide(autoselect(config), ask('mail me: jane.doe@gmail.com')),
    );
    expect(refused).toMatchObject({
      ok: false,
      route: null,
      findings: ['email'],
      private: true,
      error: { code: 'privacy_no_private_candidate' },
    });
    expect(JSON.stringify(refused)).not.toContain('jane.doe');
  });
});
