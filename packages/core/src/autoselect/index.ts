export * from './privacy-category';
export * from './detect-privacy';
export * from './message-texts';
export * from './build-selection-prompt';
export * from './parse-selection-answer';
export * from './conversation-fingerprint';
export * from './user-pattern';
