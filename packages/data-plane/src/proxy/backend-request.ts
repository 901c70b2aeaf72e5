import {
  backendDialectFor,
  vendorPath,
  type BackendDialect,
  type ChatError,
  type VendorRequest,
} from '@aisbf/dialects';
import { HOPS_HEADER } from '../http/hop-count';
import type { AttemptPlan } from './attempt-plan';
import type { Leaf } from './select-leaf';
import { fillMaxTokens } from '../context/fill-max-tokens';
import type { TargetResolver } from './upstream-target';

/** What one attempt sends, in the backend's own dialect. */
export interface BackendRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The backend's adapter; null for OpenAI-compatible backends (the canonical body as is). */
  dialect: BackendDialect | null;
}

/** A request the backend's dialect cannot express: the client's 400 (never retried elsewhere). */
export interface UnsendableRequest {
  error: ChatError;
}

/**
 * The request for one attempt (docs/providers.md): an OpenAI-compatible backend gets the client's
 * body with `model` rewritten (upstreamBody); another type gets its adapter's translation of that
 * canonical body, or, when the client already speaks the backend's dialect, the client's own body
 * with only `model` replaced (pass-through).
 */
export function backendRequest(
  plan: AttemptPlan,
  leaf: Leaf,
  targets: TargetResolver,
  canonicalBody: () => string,
): BackendRequest | UnsendableRequest {
  const target = leaf.target;
  const address = targets.address(target);
  // Never the incoming count as is: one more, so a loop back to a gateway ends (http/hop-count.ts).
  const hops = String(plan.hops + 1);
  const headers = targets.headers(target, plan.stream, [HOPS_HEADER, hops]);
  const dialect = backendDialectFor(target.provider.type);
  if (dialect === null)
    return {
      path: address.basePath + plan.upstreamPath,
      // Shared by every attempt with these headers (upstream-target.ts): sent as is, never changed.
      headers,
      body: canonicalBody(),
      dialect,
    };
  const backendTarget = {
    model: target.model,
    apiKey: targets.apiKey(target),
    defaultMaxTokens: target.provider.defaultMaxTokens ?? null,
    stream: plan.stream,
    ...(plan.prefill === undefined ? {} : { prefill: plan.prefill }),
  };
  const passthrough = plan.client !== undefined && plan.client.dialect === dialect.name && plan.prefill === undefined;
  let request;
  if (plan.upstreamPath !== '/chat/completions') {
    const built = otherEndpoint(plan, leaf, dialect, backendTarget);
    if ('error' in built) return built;
    request = built;
  } else if (passthrough)
    request = dialect.passthrough.buildRequest(plan.client!.body, backendTarget, plan.client!.headers);
  else {
    const body = withModelDefaults(plan.body, leaf);
    const built = dialect.buildChat(body, backendTarget);
    if (!built.ok)
      return {
        error: {
          message: `${built.error.message} (provider type ${target.provider.type})`,
          type: 'invalid_request_error',
          code: 'unsupported_parameter',
          param: built.error.param,
        },
      };
    request = built.value;
  }
  return {
    path: vendorPath(address.basePath, request.path),
    headers: { ...headers, ...request.headers, [HOPS_HEADER]: hops },
    body: request.body,
    dialect,
  };
}

/** The model's configured defaults, only where the client omitted the field (as for OpenAI backends). */
function withModelDefaults(body: Record<string, unknown>, leaf: Leaf): Record<string, unknown> & { model: string } {
  const out: Record<string, unknown> = { ...body, model: leaf.target.model };
  // The resolved max_tokens first: a rotation's model outranks the provider model's defaults.
  fillMaxTokens(out, leaf, '/chat/completions');
  const defaults = leaf.target.modelInfo?.defaults;
  if (defaults !== undefined) for (const k in defaults) if (out[k] === undefined) out[k] = defaults[k];
  return out as Record<string, unknown> & { model: string };
}

/**
 * `embeddings` through the type's own embeddings API (docs/providers.md); legacy `completions` are
 * OpenAI's alone. Either way a type that cannot serve the endpoint is the client's 400.
 */
function otherEndpoint(
  plan: AttemptPlan,
  leaf: Leaf,
  dialect: BackendDialect,
  target: Parameters<BackendDialect['buildChat']>[1],
): VendorRequest | UnsendableRequest {
  const type = leaf.target.provider.type;
  const refuse = (message: string, param: string | null = null): UnsendableRequest => ({
    error: { message, type: 'invalid_request_error', code: 'unsupported_endpoint', param },
  });
  if (plan.upstreamPath === '/embeddings') {
    if (dialect.embeddings === undefined) return refuse(`provider type ${type} has no embeddings API in aisbf`);
    const built = dialect.embeddings.build({ ...plan.body, model: leaf.target.model }, target);
    return built.ok ? built.value : refuse(`${built.error.message} (provider type ${type})`, built.error.param);
  }
  return refuse(
    `${plan.upstreamPath.slice(1)} is served by OpenAI-compatible providers only (provider type ${type}); use chat/completions`,
  );
}
