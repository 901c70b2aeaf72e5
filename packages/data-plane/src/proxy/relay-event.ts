import { chunkFacts, type ChunkFacts } from './chunk-facts';
import { learnChunkTemplate, readTemplatedText } from './chunk-template';
import type { RelayState } from './relay-state';

/** `done`: `[DONE]` was relayed; `error`: the upstream sent an error event; `more`: go on. */
export type RelayStep = 'done' | 'error' | 'more';

/**
 * One upstream event, `text.slice(start, end)`, into the batch: verbatim when it matches the learned
 * chunk frame, else parsed (usage noted, the usage trailer dropped unless asked for, a
 * continuation's ids rewritten). `framed`: it came as exactly `data: …\n\n` (SseReader); `parsed`:
 * the facts of this very payload when they are known already (events read before the commit).
 */
export function relayEvent(
  s: RelayState,
  text: string,
  start: number,
  end: number,
  framed: boolean,
  parsed?: ChunkFacts | null,
): RelayStep {
  if (s.template !== null && !s.continuing) {
    const content = readTemplatedText(s.template, text, start, end);
    if (content !== null) {
      if (content !== '') {
        s.partChars += content.length;
        if (s.canContinue) s.delivered += content;
      }
      s.batch.keep(text, start, end, framed);
      return 'more';
    }
  }
  const data = text.slice(start, end);
  if (data === '[DONE]') {
    s.batch.append(data);
    return 'done';
  }
  const facts = parsed ?? chunkFacts(data);
  if (facts === null) {
    s.malformed++;
    s.batch.drop();
    return 'more';
  }
  if (facts.error !== undefined) return 'error';
  if (facts.usage !== null) s.usage = facts.usage;
  if (!s.continuing) s.cacheTap?.chunk(facts.json);
  if (facts.usageOnly && !s.wantsUsage) {
    s.batch.drop();
    return 'more';
  }
  let line = data;
  if (s.continuing) {
    // The continuation's role-only opening chunk would restart the message: drop it.
    if (!s.started && !facts.hasContent) {
      s.batch.drop();
      return 'more';
    }
    s.started = true;
    if (s.answerId !== null) {
      facts.json['id'] = s.answerId;
      line = JSON.stringify(facts.json);
    }
  } else {
    if (s.answerId === null && typeof facts.json['id'] === 'string') s.answerId = facts.json['id'];
    // Also after a miss. The opening chunk (with `role`) has a frame of its own, the rest share one:
    // not learned from (a backend that names the role on every chunk is learned from its second).
    if (!s.opened && facts.hasRole) s.opened = true;
    else if (s.learnTries > 0) {
      s.learnTries--;
      s.template = learnChunkTemplate(data, facts) ?? s.template;
    }
  }
  if (facts.text !== '') {
    s.partChars += facts.text.length;
    if (s.canContinue) s.delivered += facts.text;
  }
  s.batch.append(line);
  return 'more';
}
