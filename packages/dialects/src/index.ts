export type * from './chat-types';
export type * from './dialect';
export { backendDialectFor } from './backend-dialect-for';
export { ANTHROPIC_DEFAULT_MAX_TOKENS, anthropicBackend } from './anthropic/anthropic-backend';
export { ANTHROPIC_VERSION } from './anthropic/anthropic-messages-api';
export { googleBackend } from './google/google-backend';
export { ollamaBackend } from './ollama/ollama-backend';
export * from './openai-responses/index';
export { vendorPath } from './vendor-path';
export { readJsonStringLiteral } from './json-string-literal';
export { anthropicCountTokensToChat, anthropicToChat } from './anthropic/anthropic-to-chat';
export {
  chatToAnthropicMessage,
  createAnthropicStreamEncoder,
  formatAnthropicError,
} from './anthropic/anthropic-client';
