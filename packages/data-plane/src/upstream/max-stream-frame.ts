/**
 * The largest single stream frame (an SSE event, an NDJSON line) a reader holds while waiting for
 * its end: 1 MiB of decoded text. A backend's real chunks are a few hundred bytes to a few KiB; a
 * frame that never ends would otherwise grow a node's memory without bound, and a user may point a
 * provider at any server (docs/security.md, second review, finding 13). Past it the stream ends as
 * a cut stream does, saying why.
 */
export const MAX_STREAM_FRAME_CHARS = 1024 * 1024;

/** What the readers and the upstream call report when a frame passed MAX_STREAM_FRAME_CHARS. */
export const FRAME_TOO_LARGE_MESSAGE = `sent a stream frame over ${MAX_STREAM_FRAME_CHARS / (1024 * 1024)} MiB without its end`;
