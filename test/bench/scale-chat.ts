import { SCALE_SHAPE } from './scale-seed';

/** One chat request through the user's rotation; resolves with the status and the milliseconds it took. */
export async function scaleChat(url: string, token: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: `user-rotation/${SCALE_SHAPE.rotation}`,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}
