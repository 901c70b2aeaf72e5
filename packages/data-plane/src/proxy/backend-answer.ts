import type { IncomingHttpHeaders } from 'node:http';
import type { BackendDialect, PassthroughReader } from '@aisbf/dialects';
import type { ChunkFacts, UsageCounts } from './chunk-facts';

/**
 * A whole answer of a backend of another dialect: translated to the canonical body, or, in
 * pass-through, kept as the vendor sent it with its usage read for the usage record. Null when
 * the answer cannot be read (a 502 for the retry table).
 */
export function backendAnswer(
  dialect: BackendDialect,
  body: Buffer,
  passthrough: boolean,
  ctx: { model: string; created: number },
  /** The canonical embeddings request, when the answer is one to it. */
  embeddings: Record<string, unknown> | null = null,
): { body: Buffer; usage: UsageCounts | null } | null {
  const text = body.toString('utf8');
  if (embeddings !== null) {
    const list = dialect.embeddings?.parse(text, embeddings, { model: ctx.model });
    if (list === undefined || !list.ok) return null;
    const usage = { prompt: list.value.usage.prompt_tokens, completion: 0, cached: 0 };
    return { body: Buffer.from(JSON.stringify(list.value)), usage };
  }
  if (passthrough) return { body, usage: dialect.passthrough.usageOf(text) };
  const parsed = dialect.parseChat(text, ctx);
  if (!parsed.ok) return null;
  const usage = parsed.value.usage;
  return {
    body: Buffer.from(JSON.stringify(parsed.value)),
    usage:
      usage === undefined
        ? null
        : {
            prompt: usage.prompt_tokens,
            completion: usage.completion_tokens,
            cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
          },
  };
}

/** A vendor's error answer in the canonical shape, with the status and code the retry table reads. */
export function backendErrorBody(
  dialect: BackendDialect,
  status: number,
  body: Buffer,
  headers: IncomingHttpHeaders,
): { status: number; code: string | undefined; body: Buffer } {
  const mapped = dialect.mapError(status, body.toString('utf8'), headers);
  return { status: mapped.status, code: mapped.code, body: Buffer.from(JSON.stringify({ error: mapped.error })) };
}

/** A pass-through payload's facts in the shape the attempt loop reads (`done` reads as content: it ends the answer). */
export function passthroughChunkFacts(reader: PassthroughReader, data: string): ChunkFacts | null {
  const facts = reader.read(data);
  if (facts === null) return null;
  return {
    json: {},
    text: facts.text,
    hasContent: facts.hasContent || facts.done,
    hasRole: false,
    usageOnly: false,
    usage: facts.usage,
    error: facts.error ?? undefined,
  };
}
