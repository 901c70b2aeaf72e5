import type { z } from 'zod';

/**
 * A named channel with the zod schema of its messages. Publishers are checked at compile time
 * through `T`; receivers re-validate at the Redis edge, since anything may publish on a channel.
 */
export interface Topic<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
}

export const defineTopic = <T>(name: string, schema: z.ZodType<T>): Topic<T> => Object.freeze({ name, schema });
