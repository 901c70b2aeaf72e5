export * from './token-encoding';
export * from './count-tokens';
export * from './count-prompt-tokens';
export * from './resolve-limits';
export * from './slide-window';
export * from './request-spacing';
export * from './conversation-units';
