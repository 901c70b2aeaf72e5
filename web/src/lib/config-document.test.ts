// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { parseConfigDocument, toDocumentText } from './config-document';
import { SEED_AUTOSELECT, SEED_ROTATIONS } from './seed-documents.fixture';

describe('rotation JSON view parsing', () => {
  it("accepts the seed's rotation document verbatim", () => {
    const r = parseConfigDocument('rotations', SEED_ROTATIONS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.items.map((i) => i.id)).toEqual(['coding-production']);
    expect(r.items[0]?.config['providers']).toHaveLength(3);
    expect(r.items[0]?.config['privacy']).toBe(true);
  });

  it('accepts a bare id map and a single rotation named by model_name', () => {
    const inner = JSON.stringify(JSON.parse(SEED_ROTATIONS).rotations);
    expect(parseConfigDocument('rotations', inner)).toMatchObject({ ok: true, items: [{ id: 'coding-production' }] });
    const single = JSON.stringify(JSON.parse(SEED_ROTATIONS).rotations['coding-production']);
    expect(parseConfigDocument('rotations', single)).toMatchObject({ ok: true, items: [{ id: 'coding-production' }] });
  });

  it('points at the line and column of a JSON syntax error', () => {
    const r = parseConfigDocument('rotations', '{\n  "rotations": {\n    "x": { "providers": [ }\n  }\n}');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]?.message).toMatch(/line 3/);
  });

  it('names the path of each wrong field', () => {
    const doc = {
      rotations: {
        'Bad Id': { providers: [] },
        ok: {
          providers: [
            { model: 'm', weight: -1 },
            { provider_id: 'p', model: 'm', error_cooldown: 'soon' },
          ],
          privacy: 'yes',
        },
      },
    };
    const r = parseConfigDocument('rotations', JSON.stringify(doc));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual([
      'rotations.Bad Id',
      'rotations.Bad Id.providers',
      'rotations.ok.privacy',
      'rotations.ok.providers[0].provider_id',
      'rotations.ok.providers[0].weight',
      'rotations.ok.providers[1].error_cooldown',
    ]);
  });

  it('round-trips through toDocumentText in the seed wrapping', () => {
    const r = parseConfigDocument('rotations', SEED_ROTATIONS);
    if (!r.ok) throw new Error('seed did not parse');
    expect(JSON.parse(toDocumentText('rotations', r.items))).toEqual(JSON.parse(SEED_ROTATIONS));
  });
});

describe('autoselect JSON view parsing', () => {
  it("accepts the seed's autoselect document verbatim", () => {
    const r = parseConfigDocument('autoselects', SEED_AUTOSELECT);
    expect(r).toMatchObject({ ok: true, items: [{ id: 'engineering' }] });
  });

  it('requires fallback, candidates and a selection model when semantic is on', () => {
    const r = parseConfigDocument(
      'autoselects',
      JSON.stringify({ a: { available_models: [{}], classify_semantic: true } }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual([
      'a.available_models[0].model_id',
      'a.fallback',
      'a.selection_model',
    ]);
  });
});
