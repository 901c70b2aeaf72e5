import { autoselectConfigSchema, type PromptMessage, type SnapshotAutoselect } from '@aisbf/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAutoselector } from './index';

/**
 * The privacy promise of docs/autoselect.md as properties over random autoselects, conversations and selection
 * answers: a private request never reaches a non-private route or a non-private selection model,
 * fails closed when nothing private exists, and `routes` is always a duplicate-free subset of the
 * candidates plus `fallback`.
 */
const ids = ['r/a', 'r/b', 'r/c', 'r/d', 'r/e'];
const PRIVATE_TEXTS = [
  'mail jane.doe@gmail.com',
  'PASSWORD=Sup3rS3cret',
  'IBAN DE89370400440532013000',
  'card 4111 1111 1111 1111',
];
const OPEN_TEXTS = ['refactor this loop', 'explain closures', 'write a haiku', 'version 1.2.3 is out'];

const arbitraryCase = fc.record({
  candidates: fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 5 }).chain((chosen) =>
    fc.tuple(
      ...chosen.map((id) =>
        fc.record({
          model_id: fc.constant(id),
          description: fc.constant(`model ${id}`),
          privacy: fc.boolean(),
          priority: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
        }),
      ),
    ),
  ),
  fallback: fc.constantFrom(...ids, 'r/fallback'),
  selectionModel: fc.constantFrom('sel/open', 'sel/private'),
  privateRoutes: fc.subarray([...ids, 'r/fallback', 'sel/private']),
  text: fc.constantFrom(...PRIVATE_TEXTS, ...OPEN_TEXTS),
  answer: fc.oneof(
    fc.constantFrom(...ids, 'r/fallback').map((id) => `<aisbf_model_autoselection>${id}</aisbf_model_autoselection>`),
    fc.constant('garbage'),
  ),
  semantic: fc.boolean(),
});

describe('autoselector invariants', () => {
  it('never leaks a private request and always returns a clean route list', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryCase, async (c) => {
        const shown: Array<{ route: string; messages: PromptMessage[] }> = [];
        const privateSet = new Set(c.privateRoutes);
        const selector = createAutoselector({
          clock: () => 0,
          isPrivateRoute: (route) => privateSet.has(route),
          callSelectionModel: async (route, messages) => {
            shown.push({ route, messages });
            return c.answer;
          },
        });
        const autoselect: SnapshotAutoselect = {
          ownerId: null,
          id: 'x',
          config: autoselectConfigSchema.parse({
            selection_model: c.selectionModel,
            fallback: c.fallback,
            classify_semantic: c.semantic,
            available_models: c.candidates,
          }),
        };
        const decision = await selector.decide(autoselect, { messages: [{ role: 'user', content: c.text }] });
        selector.close();

        const isPrivateText = PRIVATE_TEXTS.includes(c.text);
        const flagged = new Map(c.candidates.map((x) => [x.model_id, x.privacy]));
        const isPrivateRoute = (route: string) => flagged.get(route) === true || privateSet.has(route);
        const anyPrivate = c.candidates.some((x) => isPrivateRoute(x.model_id)) || isPrivateRoute(c.fallback);

        if (isPrivateText && !anyPrivate) {
          expect(decision.ok).toBe(false);
          if (!decision.ok) expect(decision.error.wireCode).toBe('privacy_no_private_candidate');
          expect(shown).toHaveLength(0);
          return;
        }
        expect(decision.ok).toBe(true);
        if (!decision.ok) return;
        expect(decision.private).toBe(isPrivateText);
        expect(new Set(decision.routes).size).toBe(decision.routes.length);
        expect(decision.routes.length).toBeGreaterThan(0);
        for (const route of decision.routes)
          expect([...c.candidates.map((x) => x.model_id), c.fallback]).toContain(route);
        if (isPrivateText) {
          for (const route of decision.routes) expect(isPrivateRoute(route)).toBe(true);
          for (const call of shown) expect(isPrivateRoute(call.route)).toBe(true);
          for (const call of shown)
            for (const route of ids)
              if (!isPrivateRoute(route))
                expect(call.messages[1]?.content).not.toContain(`<model_id>${route}</model_id>`);
        }
        if (!c.semantic) expect(shown).toHaveLength(0);
      }),
      { numRuns: 400 },
    );
  });
});
