export type * from './chat-types';
export type * from './dialect';
