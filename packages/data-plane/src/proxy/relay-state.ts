import type { CacheTap } from '../cache/cache-tap';
import type { ChunkTemplate } from './chunk-template';
import type { UsageCounts } from './chunk-facts';
import type { ProxyCall } from './proxy-call';
import { SseBatch } from './sse-batch';

/** Tokens of one answer, as the backends reported them or as estimated. */
export interface Tally {
  promptTokens: number | null;
  completionTokens: number;
  estimated: boolean;
  /** Prompt tokens the backend served from its prompt cache (priced at `cached_prompt`). */
  cachedPromptTokens?: number;
}

/** One relayed stream: what goes out next, and what the relay has learned of the answer so far. */
export interface RelayState {
  readonly batch: SseBatch;
  /** The client asked for the usage trailer (`stream_options.include_usage`). */
  readonly wantsUsage: boolean;
  /** `midstream: "continue"`: a cut answer may be continued elsewhere, so its text is kept. */
  readonly canContinue: boolean;
  readonly cacheTap: CacheTap | undefined;
  readonly tally: Tally;
  /**
   * The stream's chunk frame once learned (chunk-template.ts): a chunk that matches it is relayed
   * verbatim without JSON.parse. Off while continuing (ids are rewritten) and when the response
   * cache taps the stream (it wants every chunk's JSON). Learning is tried on a few chunks only.
   */
  template: ChunkTemplate | null;
  learnTries: number;
  /**
   * The stream's opening chunk (the first whose delta names a `role`) went by. Its frame is its own
   * (the role), so nothing is learned from it: a one-chunk answer then costs no probe parses, and a
   * longer one learns from its second chunk as it did after missing on the first.
   */
  opened: boolean;
  /** Relaying a continuation (another entry finishing a cut answer). */
  continuing: boolean;
  /** The continuation's first content has been relayed. */
  started: boolean;
  /** The answer's id as the client first saw it; a continuation's chunks carry it too. */
  answerId: string | null;
  /** The assistant text delivered so far (kept only when `canContinue`). */
  delivered: string;
  /** Characters of text this entry delivered (the estimate when it reports no usage). */
  partChars: number;
  /** The usage this entry reported, if any. */
  usage: UsageCounts | null;
  malformed: number;
}

export function createRelayState(call: ProxyCall, malformed: number): RelayState {
  return {
    batch: new SseBatch(call.res),
    wantsUsage: (call.body['stream_options'] as { include_usage?: unknown } | undefined)?.include_usage === true,
    canContinue:
      call.endpoint === 'chat.completions' &&
      call.resolution.kind === 'rotation' &&
      call.resolution.rotation.config.midstream === 'continue',
    cacheTap: call.cacheTap,
    tally: { promptTokens: null, completionTokens: 0, estimated: false },
    template: null,
    learnTries: call.cacheTap === undefined ? 4 : 0,
    opened: false,
    continuing: false,
    started: true,
    answerId: null,
    delivered: '',
    partChars: 0,
    usage: null,
    malformed,
  };
}
