import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startHarness, type Harness } from './test-harness';

// Regression (docs/security.md): an `adminOnly` global provider served plain users through a
// global rotation that listed it. Its entry now serves admins only; users get the other entries.
let h: Harness;
const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] });
const served = (h: Harness, id: string): number =>
  h.mocks[id]!.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

beforeAll(async () => {
  h = await startHarness({
    providers: [
      { id: 'reserved', ownerId: null, models: ['big'], extra: { adminOnly: true } },
      { id: 'shared', ownerId: null, models: ['small'] },
    ],
    rotations: [
      {
        id: 'mixed',
        ownerId: null,
        config: {
          providers: [
            { provider_id: 'reserved', model: 'big', weight: 100 },
            { provider_id: 'shared', model: 'small', weight: 1 },
          ],
          strategy: 'priority',
        },
      },
      { id: 'reserved-only', ownerId: null, config: { providers: [{ provider_id: 'reserved', model: 'big' }] } },
    ],
  });
});

afterAll(async () => {
  await h?.close();
});

describe('an adminOnly global provider inside a global rotation', () => {
  it('never serves a plain user, who gets the rotation’s other entry', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = await post(`${h.url}/v1/chat/completions`, h.tokens.alice, chat('rotation/mixed'));
      expect(reply.status, reply.text).toBe(200);
      expect(reply.headers.get('x-aisbf-provider')).toBe('shared');
    }
    expect(served(h, 'reserved')).toBe(0);
  });

  it('a global rotation of only adminOnly entries does not serve a plain user at all', async () => {
    const reply = await post(`${h.url}/v1/chat/completions`, h.tokens.bob, chat('rotation/reserved-only'));
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(reply.text)).toMatchObject({ error: { type: expect.any(String) } });
    expect(served(h, 'reserved')).toBe(0);
  });

  it('still serves an admin through the same rotation', async () => {
    const reply = await post(`${h.url}/v1/chat/completions`, h.tokens.root, chat('rotation/mixed'));
    expect(reply.status, reply.text).toBe(200);
    expect(reply.headers.get('x-aisbf-provider')).toBe('reserved');
    expect(served(h, 'reserved')).toBe(1);
  });
});
