import { z } from 'zod';

/**
 * Stored Responses (OpenAI Responses API `store` and `previous_response_id`): the data plane keeps
 * a finished response's conversation, so a follow-up can name it instead of resending it. The
 * store is a port: memory in all-in-one mode, Redis (shared by every node) in cluster mode; never
 * the database. Entries expire by themselves and are bounded in size (docs/clients.md).
 */
export const storedResponseSchema = z.object({
  v: z.literal(1),
  /** The conversation's input items up to this turn, in order (earlier turns' included). */
  items: z.array(z.record(z.string(), z.unknown())),
  /** This turn's output items. */
  output: z.array(z.record(z.string(), z.unknown())),
  /** Unix seconds. */
  createdAt: z.number(),
});
export type StoredResponse = z.infer<typeof storedResponseSchema>;

/** Keys are per user: a response is only ever found by the user who created it. */
export interface ResponseStore {
  /** The stored JSON text, or null when unknown or expired. */
  get(userId: string, id: string): Promise<string | null>;
  set(userId: string, id: string, json: string): Promise<void>;
  close(): Promise<void>;
}

/** How long a stored response stays findable, by default (OpenAI keeps them 30 days; aisbf is a relay). */
export const DEFAULT_RESPONSE_TTL_S = 24 * 3600;
