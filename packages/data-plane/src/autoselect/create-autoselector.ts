import {
  buildSelectionPrompt,
  compilePrivatePatterns,
  conversationFingerprint,
  detectPrivacy,
  GatewayError,
  parseSelectionAnswer,
  type AutoselectConfig,
  type PrivacyCategory,
  type PromptMessage,
  type SnapshotAutoselect,
  type UserPatterns,
} from '@aisbf/core';
import { createDecisionCache } from './decision-cache';
import { orderRoutes, rankCandidates } from './rank-candidates';

export type AutoselectReason = 'privacy' | 'semantic' | 'fallback' | 'cached';

/** Why the selection model did not decide (for logs, dry runs and the usage record). */
export type SelectionSkipCause =
  'semantic_disabled' | 'selection_model_not_private' | 'timeout' | 'error' | 'unparseable' | 'unknown_id';

export interface AutoselectChoice {
  ok: true;
  /** Routes to try in order: the chosen one, then `fallback`, then the rest by `priority`. */
  routes: string[];
  reason: AutoselectReason;
  /** Privacy finding categories (names only, never the matched text). */
  findings: PrivacyCategory[];
  /** The request was judged private: every route in `routes` is private. */
  private: boolean;
  /** Set when the selection model was skipped or failed (reason `privacy` or `fallback`). */
  cause: SelectionSkipCause | null;
  /** The selection model's route, when it was asked (or, for `cached`, when it was asked first). */
  selectionModel: string | null;
  /** Time the decision took (detector, cache, selection call), by the injected clock. */
  elapsedMs: number;
}

export type AutoselectDecision = AutoselectChoice | { ok: false; error: GatewayError; findings: PrivacyCategory[] };

export interface AutoselectRequestBody {
  messages?: unknown;
  /** Legacy completions: a prompt string (or strings). */
  prompt?: unknown;
  /** Embeddings: an input string (or strings). */
  input?: unknown;
}

export interface AutoselectorDeps<Ctx = undefined> {
  /**
   * Runs a chat completion on a route and returns the answer's text; rejects on failure. It must honour
   * `signal` (aborted at `timeoutMs`). `ctx` is what the caller passed to `decide` (e.g. the acting user).
   */
  callSelectionModel(
    route: string,
    messages: PromptMessage[],
    opts: { timeoutMs: number; signal?: AbortSignal; autoselect: SnapshotAutoselect; ctx: Ctx | undefined },
  ): Promise<string>;
  /** True when the route resolves to something marked private (a rotation or provider with `privacy: true`). */
  isPrivateRoute(route: string, autoselect: SnapshotAutoselect, ctx: Ctx | undefined): boolean;
  /** Epoch ms; a fake in tests. */
  clock: () => number;
  /** Decision cache bound. Default 10 000 entries. */
  maxCacheEntries?: number;
}

export interface Autoselector<Ctx = undefined> {
  decide(autoselect: SnapshotAutoselect, body: AutoselectRequestBody, ctx?: Ctx): Promise<AutoselectDecision>;
  close(): void;
}

type Selection = { ok: true; modelId: string } | { ok: false; cause: SelectionSkipCause };

const texts = (value: unknown): string | null => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((p): p is string => typeof p === 'string').join('\n');
  return null;
};

/** Chat `messages`, a completions `prompt` or an embeddings `input`: whatever the request sends on. */
function conversationOf(body: AutoselectRequestBody): readonly unknown[] | string {
  if (Array.isArray(body.messages)) return body.messages;
  return texts(body.prompt) ?? texts(body.input) ?? [];
}

/**
 * The data plane's autoselect decision (docs/architecture.md "Autoselect"):
 * 1. privacy first, locally: with `classify_privacy`, a request the detector finds private may only go
 *    to private candidates, and is shown to the selection model only if that model is private too;
 *    with no private candidate it fails closed (403 `privacy_no_private_candidate`);
 * 2. with `classify_semantic`, the selection model picks a candidate (strictly parsed); an unknown id,
 *    garbage, a timeout or an error means `fallback`;
 * 3. decisions are cached per (autoselect, verdict, conversation) and identical concurrent requests
 *    share one selection call.
 */
export function createAutoselector<Ctx = undefined>(deps: AutoselectorDeps<Ctx>): Autoselector<Ctx> {
  const cache = createDecisionCache({
    clock: deps.clock,
    ...(deps.maxCacheEntries === undefined ? {} : { maxEntries: deps.maxCacheEntries }),
  });
  const inFlight = new Map<string, Promise<Selection>>();
  const controllers = new Set<AbortController>();
  const patternCache = new WeakMap<AutoselectConfig, UserPatterns | null>();
  let closed = false;

  /** Compiled `private_patterns`; null when one does not compile (then every request counts as private). */
  function patternsOf(config: AutoselectConfig): UserPatterns | null {
    let compiled = patternCache.get(config);
    if (compiled === undefined) {
      const result = compilePrivatePatterns(config.private_patterns);
      compiled = result.ok ? result.value : null;
      patternCache.set(config, compiled);
    }
    return compiled;
  }

  async function askSelectionModel(
    route: string,
    messages: PromptMessage[],
    candidateIds: string[],
    timeoutMs: number,
    autoselect: SnapshotAutoselect,
    ctx: Ctx | undefined,
  ): Promise<Selection> {
    const controller = new AbortController();
    controllers.add(controller);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<Selection>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new GatewayError('UPSTREAM_TIMEOUT', 'selection model timed out'));
        resolve({ ok: false, cause: 'timeout' });
      }, timeoutMs);
    });
    let call: Promise<string>;
    try {
      call = deps.callSelectionModel(route, messages, { timeoutMs, signal: controller.signal, autoselect, ctx });
    } catch (error) {
      // A callback that throws instead of rejecting is still just an error: fallback, never a stuck flight.
      call = Promise.reject(error);
    }
    const answer = call
      .then((text): Selection => {
        const parsed = parseSelectionAnswer(text, candidateIds);
        if (parsed.ok) return { ok: true, modelId: parsed.value };
        return { ok: false, cause: parsed.error === 'unknown model id' ? 'unknown_id' : 'unparseable' };
      })
      .catch((): Selection => ({ ok: false, cause: controller.signal.aborted ? 'timeout' : 'error' }));
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
      controllers.delete(controller);
    }
  }

  async function decide(
    autoselect: SnapshotAutoselect,
    body: AutoselectRequestBody,
    ctx?: Ctx,
  ): Promise<AutoselectDecision> {
    const started = deps.clock();
    const { config } = autoselect;
    if (closed)
      return { ok: false, error: new GatewayError('UNAVAILABLE', 'The autoselector is shutting down.'), findings: [] };
    const conversation = conversationOf(body);
    const ranked = rankCandidates(config.available_models);
    const flagged = new Map(config.available_models.map((c) => [c.model_id, c.privacy]));
    const isPrivate = (route: string): boolean =>
      flagged.get(route) === true || deps.isPrivateRoute(route, autoselect, ctx);

    let findings: PrivacyCategory[] = [];
    if (config.classify_privacy) {
      const patterns = patternsOf(config);
      // A pattern that does not compile must not open a leak: the request is treated as private.
      findings = patterns === null ? ['custom'] : detectPrivacy(conversation, { extraPatterns: patterns }).findings;
    }
    const isPrivateRequest = findings.length > 0;
    const allowed = isPrivateRequest ? isPrivate : () => true;
    const pool = ranked.filter((c) => allowed(c.model_id));
    const fallbackAllowed = allowed(config.fallback);

    if (isPrivateRequest && pool.length === 0 && !fallbackAllowed) {
      const error = new GatewayError(
        'FORBIDDEN',
        `This request looks private (${findings.join(', ')}) and autoselect "${autoselect.id}" has no candidate marked private; it was not sent anywhere.`,
        { wireCode: 'privacy_no_private_candidate', path: 'model' },
      );
      return { ok: false, error, findings };
    }

    // Without the selection model: a private request goes to the first private candidate by
    // priority (reason `privacy`); any other goes to `fallback`.
    const defaultRoute = isPrivateRequest ? (pool[0]?.model_id ?? config.fallback) : config.fallback;
    const finish = (
      first: string,
      reason: AutoselectReason,
      cause: SelectionSkipCause | null,
      selectionModel: string | null,
    ): AutoselectChoice => ({
      ok: true,
      routes: orderRoutes(first, config.fallback, ranked, allowed),
      reason,
      findings,
      private: isPrivateRequest,
      cause,
      selectionModel,
      elapsedMs: deps.clock() - started,
    });
    const fallbackReason: AutoselectReason = isPrivateRequest ? 'privacy' : 'fallback';

    const selectionModel = config.selection_model;
    if (!config.classify_semantic || selectionModel === undefined)
      return finish(defaultRoute, fallbackReason, 'semantic_disabled', null);
    // A private conversation is never shown to a selection model that is not private itself.
    if (isPrivateRequest && !isPrivate(selectionModel))
      return finish(defaultRoute, 'privacy', 'selection_model_not_private', null);

    const candidates = pool.map((c) => ({ model_id: c.model_id, description: c.description }));
    const candidateIds = [...candidates.map((c) => c.model_id), ...(fallbackAllowed ? [config.fallback] : [])];
    const prompt = buildSelectionPrompt({
      messages: conversation,
      candidates,
      fallback: fallbackAllowed ? config.fallback : defaultRoute,
    });
    const user = prompt.messages[1]?.content ?? '';
    const key = `${autoselect.ownerId ?? '*'}/${autoselect.id}|${isPrivateRequest ? 'private' : 'open'}|${selectionModel}|${conversationFingerprint(user)}`;

    const cached = cache.get(key);
    if (cached !== undefined && candidateIds.includes(cached)) return finish(cached, 'cached', null, selectionModel);

    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = askSelectionModel(
        selectionModel,
        prompt.messages,
        candidateIds,
        config.selection_timeout_ms,
        autoselect,
        ctx,
      );
      inFlight.set(key, pending);
      const settle = pending;
      void settle.then((selection) => {
        if (inFlight.get(key) === settle) inFlight.delete(key);
        if (selection.ok && !closed) cache.set(key, selection.modelId, config.decision_cache_s * 1000);
      });
    }
    const selection = await pending;
    if (selection.ok) return finish(selection.modelId, 'semantic', null, selectionModel);
    return finish(defaultRoute, fallbackReason, selection.cause, selectionModel);
  }

  return {
    decide,
    close() {
      closed = true;
      for (const controller of controllers) controller.abort(new GatewayError('UNAVAILABLE', 'autoselector closed'));
      controllers.clear();
      inFlight.clear();
      cache.clear();
    },
  };
}
