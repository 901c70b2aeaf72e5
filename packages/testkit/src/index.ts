export * from './test-resources';
export * from './mock-fault';
export * from './mock-upstream';
export { answerPieces, promptTokenCount, prefillWordCount } from './mock-answer';
export * from './sse-text';
export * from './pass-through-proxy';
export * from './test-snapshot';
export * from './spawn-service';
export * from './mock-upstream-client';
