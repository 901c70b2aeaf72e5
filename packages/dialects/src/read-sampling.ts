import { err, isRecord, ok } from './result';
import type { DialectError, Result } from './dialect';

/** The sampling fields of an OpenAI Chat request that other backends have an equivalent for. */
export interface Sampling {
  temperature?: number;
  topP?: number;
  /** Not an OpenAI field, but many OpenAI-compatible servers take it; passed on where it exists. */
  topK?: number;
  /** `max_completion_tokens`, else `max_tokens`. */
  maxTokens?: number;
  stop?: string[];
  n?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  /** `response_format`: JSON mode, with a schema when the client gave one. */
  json?: { schema: Record<string, unknown> | null };
}

const NUMBERS = [
  ['temperature', 'temperature'],
  ['top_p', 'topP'],
  ['top_k', 'topK'],
  ['max_tokens', 'maxTokens'],
  ['max_completion_tokens', 'maxTokens'],
  ['n', 'n'],
  ['presence_penalty', 'presencePenalty'],
  ['frequency_penalty', 'frequencyPenalty'],
  ['seed', 'seed'],
] as const;

export function readSampling(body: Record<string, unknown>): Result<Sampling, DialectError> {
  const out: Sampling = {};
  for (const [field, key] of NUMBERS) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value))
      return err({ message: `${field} must be a number`, param: field });
    out[key] = value;
  }
  const stop = body['stop'];
  if (typeof stop === 'string') out.stop = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) out.stop = stop;
  else if (stop !== undefined && stop !== null)
    return err({ message: 'stop must be a string or an array of strings', param: 'stop' });
  const format = body['response_format'];
  if (isRecord(format)) {
    if (format['type'] === 'json_object') out.json = { schema: null };
    else if (format['type'] === 'json_schema') {
      const spec = format['json_schema'];
      const schema = isRecord(spec) ? spec['schema'] : undefined;
      out.json = { schema: isRecord(schema) ? schema : null };
    } else if (format['type'] !== 'text')
      return err({
        message: 'response_format.type must be text, json_object or json_schema',
        param: 'response_format',
      });
  }
  return ok(out);
}
