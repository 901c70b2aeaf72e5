export * from './privacy-category';
export * from './detect-privacy';
export * from './message-texts';
