import type { BackendDialect } from '@aisbf/dialects';
import type { PayloadTranscoder } from '../upstream/upstream-call';

/**
 * A backend dialect's stream transcoder as the upstream call uses it: each vendor payload
 * becomes the canonical chunks' JSON, which the proxy then reads like any OpenAI-compatible
 * stream (first content, usage, interruption, continuation). A payload the adapter cannot read
 * becomes '' so the proxy skips and counts it as malformed.
 */
export function backendTranscoder(dialect: BackendDialect, model: string, created: number): PayloadTranscoder {
  const transcoder = dialect.createStreamTranscoder({ model, created });
  return {
    framing: dialect.streamFraming,
    push(payload) {
      // The adapter's fast path (Anthropic's text deltas): the chunks' JSON without objects in between.
      const json = transcoder.pushJson?.(payload);
      if (json != null) return json;
      const result = transcoder.push(payload);
      if (!result.ok) return [''];
      return result.value.map((chunk) => JSON.stringify(chunk));
    },
    end: () => transcoder.end().map((chunk) => JSON.stringify(chunk)),
  };
}
