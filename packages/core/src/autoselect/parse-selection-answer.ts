import { err, ok, safeJsonParse, type Result } from '../result';

const TAG = /^<aisbf_model_autoselection>\s*([^<>]{1,300}?)\s*<\/aisbf_model_autoselection>$/;
const FENCE = /^```[a-z]*\s*([\s\S]*?)\s*```$/i;
const THINK = /^<think>[\s\S]*?<\/think>\s*/;

/**
 * Strict reading of a selection model's answer (docs/architecture.md "Autoselect"): the whole answer is the
 * AISBF tag, a bare candidate id, or `{"model_id": "…"}`; a code fence around it and a leading
 * `<think>…</think>` block (reasoning models) are tolerated. The id must be one of `candidateIds`
 * exactly. Anything else (prose around the tag, two tags, an unknown id) is an error, which the
 * caller turns into `fallback`. Error texts never quote the answer.
 */
export function parseSelectionAnswer(text: string, candidateIds: readonly string[]): Result<string> {
  if (text.length > 4000) return err('answer too long');
  let body = text.trim().replace(THINK, '').trim();
  const fenced = FENCE.exec(body);
  if (fenced !== null) body = (fenced[1] ?? '').trim();
  if (body === '') return err('empty answer');

  let id: string | undefined;
  if (body.startsWith('<')) {
    const m = TAG.exec(body);
    if (m === null) return err('malformed selection tag');
    id = m[1];
  } else if (body.startsWith('{')) {
    const parsed = safeJsonParse(body);
    const value =
      parsed.ok && typeof parsed.value === 'object' && parsed.value !== null
        ? (parsed.value as Record<string, unknown>)['model_id']
        : undefined;
    if (typeof value !== 'string') return err('JSON answer without a string model_id');
    id = value.trim();
  } else {
    // A bare id: one token, optionally quoted or in backticks.
    const m = /^["'`]?([^\s"'`]{1,300})["'`]?$/.exec(body);
    if (m === null) return err('unrecognised answer format');
    id = m[1];
  }
  if (id === undefined || !candidateIds.includes(id)) return err('unknown model id');
  return ok(id);
}
