export { createDataPlane, type DataPlane, type DataPlaneDeps } from './create-data-plane';
export { parsePath } from './http/parse-path';
export { DEFAULT_BODY_LIMITS, type BodyLimits } from './http/read-json-body';
export { openAiErrorBody, type OpenAiErrorBody } from './http/openai-error';
export type { ProviderFlag } from './proxy/attempt-plan';
export {
  createGuardedConnector,
  EndpointForbiddenError,
  ENDPOINT_FORBIDDEN,
  systemResolveHost,
  type EndpointGuardOptions,
  type ResolveHost,
} from './upstream/endpoint-guard';
export { createGuardedFetch } from './upstream/guarded-fetch';
export { createMemoryResponseCacheStore, type MemoryResponseCacheStoreOptions } from './cache/index';
export { createMemoryResponseStore, type MemoryResponseStoreOptions } from './client-dialect/memory-response-store';
export type { ProviderHealth } from './proxy/select-leaf';
export { usageEventId } from './usage-event-id';
