export { createMemoryResponseCacheStore, type MemoryResponseCacheStoreOptions } from './memory-response-cache-store';
export { createResponseCache, serveCachedProxy, type CacheResult, type ResponseCache } from './serve-cached-proxy';
export { responseCacheKey, canonicalJson } from './cache-key';
export type { CacheTap, ServedIdentity } from './cache-tap';
