import type { ChatChunk, ChatCompletion, ChatError, ChatRequest, EmbeddingList } from './chat-types';

/**
 * The contract between the routing core and the wire protocols (docs/decisions.md §1,
 * docs/providers.md). The core routes canonical requests (OpenAI Chat, chat-types.ts); a
 * *backend* dialect turns one into a vendor request and the vendor's answer back, a *client*
 * dialect turns a client's request into one and the canonical answer into the client's. When a
 * client and the backend that serves it speak the same dialect, nothing is translated: the body
 * and the events pass through, and the dialect's `PassthroughReader` tells the core what it needs
 * to know about them (usage, first content, finish, errors).
 *
 * Everything here is pure: no I/O, no clock, no randomness (time and ids come in as parameters).
 */

/** Expected failures are values (one shape for the whole package). */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/**
 * The protocols aisbf speaks. `openai` is the canonical one: an OpenAI-compatible backend gets the
 * canonical body as it is, so it has no backend adapter (the data plane's own hot path).
 */
export type DialectName = 'openai' | 'anthropic' | 'google' | 'ollama';

/** The target of one attempt, as a backend adapter needs it. */
export interface BackendTarget {
  /** The vendor's model name (the rotation entry's `model`). */
  model: string;
  /** The provider's decrypted key, or null when it has none. */
  apiKey: string | null;
  /** `max_tokens` for vendors that require one when the request has none (docs/providers.md). */
  defaultMaxTokens: number | null;
  stream: boolean;
  /**
   * Mid-stream continuation (docs/reliability.md): the answer's text delivered so far, sent as a
   * final assistant turn the model continues (the entry has `prefill: true`).
   */
  prefill?: string;
}

/** One HTTP request to a backend, relative to the provider's endpoint. */
export interface VendorRequest {
  /** Appended to the endpoint's path, e.g. `/v1/messages`. May carry a query string. */
  path: string;
  /** The vendor's auth and protocol headers (not `content-type`/`accept`: the transport sets those). */
  headers: Record<string, string>;
  body: string;
}

/** A request the adapter cannot express for this vendor: the client's 400 (canonical shape). */
export interface DialectError {
  message: string;
  /** The request field at fault, dotted (`messages.2.content`), or null. */
  param: string | null;
}

/**
 * A vendor's error answer as the retry table judges it (docs/reliability.md): `status` is the
 * status the table reads (an overload such as Anthropic's 529 becomes 503, so it is retried and
 * failed over like any 5xx), `code` the OpenAI error code it keys on (`context_length_exceeded`,
 * `content_policy_violation`), and `error` what a client gets when the answer is returned as is.
 * `Retry-After` is read from the response headers by the transport, for every dialect alike.
 */
export interface MappedError {
  status: number;
  code: string | undefined;
  error: ChatError;
}

/**
 * Turns one vendor stream into canonical chunks. Stateful (one per attempt): vendors send usage,
 * tool-call ids and stop reasons in different events than OpenAI does.
 */
export interface StreamTranscoder {
  /**
   * One vendor stream payload (an SSE event's `data`, or one NDJSON line) → the canonical chunks
   * it yields, in order (often none). `{error}` chunks (`{"error": ChatError}`) carry a vendor's
   * mid-stream error. A payload that is not understood is an error value: skipped and counted.
   */
  push(payload: string): Result<Array<ChatChunk | { error: ChatError }>, string>;
  /**
   * Optional fast path for the payloads most of a stream is made of: the canonical chunks of
   * `payload` as their JSON text (exactly `JSON.stringify` of what `push` would give), without
   * parsing the payload into objects; null when this payload needs `push` (the caller calls it).
   */
  pushJson?(payload: string): string[] | null;
  /** The vendor's stream ended cleanly: the chunks still owed (none when its end event came). */
  end(): ChatChunk[];
}

/** `GET {endpoint}{path}` lists the models (discovery and the free health probe). */
export interface ModelListing {
  path: string;
  /** The model names in a listing's JSON, or null when it is not one. */
  parse(body: unknown): string[] | null;
}

/** What the core reads from a payload it forwards untouched (client dialect = backend dialect). */
export interface PassthroughFacts {
  /** Text this event adds to the answer (for estimates and mid-stream continuation). */
  text: string;
  /** The client must see this event before anything is committed (text, a tool call, a stop). */
  hasContent: boolean;
  /** Usage known so far, cumulative; null when this event says nothing about it. */
  usage: { prompt: number; completion: number; cached: number } | null;
  /** The vendor's error event (ends the stream as an interruption). */
  error: ChatError | null;
  /** The vendor's end-of-answer event (OpenAI's `[DONE]`, Anthropic's `message_stop`). */
  done: boolean;
}

export interface PassthroughReader {
  /** Facts of one stream payload; null when it is not one (skipped and counted, never forwarded). */
  read(payload: string): PassthroughFacts | null;
  /** The payload framed for the client as the vendor frames it (`event: …\ndata: …\n\n`). */
  frame(payload: string): string;
}

export interface BackendDialect {
  readonly name: DialectName;
  /** How the vendor frames a stream: SSE events or NDJSON lines. */
  readonly streamFraming: 'sse' | 'ndjson';
  /** A canonical chat request for this target → the vendor's request. */
  buildChat(body: ChatRequest, target: BackendTarget): Result<VendorRequest, DialectError>;
  /** The vendor's whole (non-stream) answer → canonical; `created` is the epoch seconds to stamp. */
  parseChat(text: string, ctx: { model: string; created: number }): Result<ChatCompletion, string>;
  createStreamTranscoder(ctx: { model: string; created: number }): StreamTranscoder;
  /** A non-2xx answer (status, body text, lower-case headers) → what the retry table and the client see. */
  mapError(status: number, body: string, headers: Readonly<Record<string, string | string[] | undefined>>): MappedError;
  /** The vendor's auth headers for `GET models` and probes. */
  authHeaders(apiKey: string | null): Record<string, string>;
  models: ModelListing;
  /**
   * `POST embeddings` (canonical body: OpenAI's) for this vendor; absent when the vendor has no
   * embeddings API aisbf speaks. `parse` gets the canonical request too (its `encoding_format`).
   */
  embeddings?: {
    build(body: Record<string, unknown>, target: BackendTarget): Result<VendorRequest, DialectError>;
    parse(text: string, body: Record<string, unknown>, ctx: { model: string }): Result<EmbeddingList, string>;
  };
  /** Same-dialect clients: the vendor's events read without translating them. */
  passthrough: {
    /** The client's own body with `model` replaced (and nothing else), for this target. */
    buildRequest(
      clientBody: Record<string, unknown>,
      target: BackendTarget,
      clientHeaders: ClientHeaders,
    ): VendorRequest;
    createReader(): PassthroughReader;
    /** Usage of a whole (non-stream) answer. */
    usageOf(text: string): PassthroughFacts['usage'];
  };
}

/** Lower-case request headers of the client (pass-through forwards the vendor's own, e.g. `anthropic-beta`). */
export type ClientHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** An error as the client's dialect writes it, whole (`body`) or mid-stream (`ClientStreamEncoder.error`). */
export interface ClientErrorReply {
  status: number;
  contentType: string;
  body: string;
}

/** A client request the dialect refuses, worded for that client (its status is 400 unless said). */
export interface ClientRequestError {
  status: number;
  message: string;
  /** The client dialect's error type, e.g. Anthropic's `invalid_request_error`. */
  type: string;
}

/** Turns canonical chunks into the client's stream; stateful, one per answer. */
export interface ClientStreamEncoder {
  /** One canonical chunk → the client's SSE text for it (may be ''). */
  chunk(chunk: ChatChunk): string;
  /** The answer ended normally: closing events. */
  done(): string;
  /** The answer broke after it started: the client's mid-stream error event. */
  error(error: ChatError): string;
}

export interface ClientDialect {
  readonly name: DialectName;
  /** The client's body → a canonical request (the route name stays in `model`). */
  toCanonical(body: unknown): Result<ChatRequest, ClientRequestError>;
  /** A canonical answer → the client's body. `model` is what the client asked for. */
  fromCanonical(completion: ChatCompletion, ctx: { model: string }): unknown;
  createStreamEncoder(ctx: { model: string }): ClientStreamEncoder;
  /** A canonical error (status + OpenAI error object) → the client's error reply. */
  formatError(status: number, error: ChatError): ClientErrorReply;
}
