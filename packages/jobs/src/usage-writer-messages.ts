/** What the main thread and the usage writer thread say to each other (thread-usage-sink.ts). */
export interface WriterStart {
  databaseUrl: string;
}

/** A batch as JSON text: a string crosses to the thread as one copy, not a clone of 500 objects. */
export type WriterRequest = { kind: 'write'; id: number; events: string } | { kind: 'close' };

export type WriterReply = { id: number; inserted: number } | { id: number; error: string };
