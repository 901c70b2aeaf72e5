/**
 * The four request shapes every target is measured with: a one-chunk and a 60-chunk answer (one
 * word per SSE chunk), each streamed and not. The mock serves model `w1` with one word and `w60`
 * with sixty; a gateway's route names it behind its own prefix (`mock/w1`).
 */
export interface Shape {
  /** `1-chunk non-stream`, … (table column). */
  name: string;
  words: 1 | 60;
  stream: boolean;
}

export const SHAPES: readonly Shape[] = [
  { name: '1-chunk non-stream', words: 1, stream: false },
  { name: '1-chunk stream', words: 1, stream: true },
  { name: '60-chunk non-stream', words: 60, stream: false },
  { name: '60-chunk stream', words: 60, stream: true },
];

export const MOCK_MODELS = ['w1', 'w60'] as const;

/** What a load or latency run sends to a target. */
export interface LoadTarget {
  name: string;
  /** Base URL ending in `/v1`. */
  url: string;
  headers: Record<string, string>;
  /** Prepended to the mock's model id (`''` direct and through the pass-through, `mock/` through aisbf). */
  modelPrefix: string;
}

export function chatBody(target: LoadTarget, shape: Pick<Shape, 'words' | 'stream'>): string {
  return JSON.stringify({
    model: `${target.modelPrefix}w${shape.words}`,
    messages: [{ role: 'user', content: 'Say the words.' }],
    stream: shape.stream,
    temperature: 0,
  });
}
