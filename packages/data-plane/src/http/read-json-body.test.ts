import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, readJsonBody } from './read-json-body';

const limits = { maxBodyBytes: 64, maxJsonDepth: 3 };
const request = (headers: Record<string, string> = {}): PassThrough & { headers: Record<string, string> } =>
  Object.assign(new PassThrough(), { headers });

describe('readJsonBody', () => {
  it('parses a JSON body and gives its size in bytes', async () => {
    const req = request();
    const pending = readJsonBody(req as unknown as IncomingMessage, limits);
    req.end('{"a":[1,{"b":"é"}]}');
    expect(await pending).toEqual({ ok: true, value: { json: { a: [1, { b: 'é' }] }, bytes: 20 } });
  });

  it('refuses by declared and by actual size', async () => {
    expect(await readJsonBody(request({ 'content-length': '65' }) as unknown as IncomingMessage, limits)).toMatchObject(
      { ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } },
    );
    const req = request();
    const pending = readJsonBody(req as unknown as IncomingMessage, limits);
    req.end(`{"a":"${'x'.repeat(80)}"}`);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('resolves when the client goes away mid-upload', async () => {
    const req = request();
    const pending = readJsonBody(req as unknown as IncomingMessage, limits);
    req.write('{"a":');
    req.destroy();
    expect(await pending).toMatchObject({ ok: false, error: { wireCode: 'client_closed_request' } });
  });

  it('measures depth outside strings only', () => {
    expect(jsonDepthExceeds(Buffer.from('[[[1]]]'), 3)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from('[[[[1]]]]'), 3)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from('{"s":"[[[[[[\\"[[["}'), 3)).toBe(false);
  });
});
