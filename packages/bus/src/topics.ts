import type { ConfigChange } from '@aisbf/core';
import { z } from 'zod';
import { defineTopic } from './topic';

/** Mirrors core's `ConfigChange` (docs/architecture.md "Propagation"); the `satisfies` below keeps the two in step. */
export const configChangeSchema = z.object({
  version: z.number().int().min(0),
  kind: z.enum(['user', 'token', 'provider', 'rotation', 'autoselect', 'health', 'models', 'snapshot']),
  id: z.string(),
  op: z.enum(['upsert', 'delete']),
  owner: z.string().nullable().optional(),
}) satisfies z.ZodType<ConfigChange>;

export const configChangedTopic = defineTopic<ConfigChange>('config.changed', configChangeSchema);

export const cooldownAnnouncementSchema = z.object({
  key: z.string().min(1),
  /** Epoch ms the cooldown ends. */
  until: z.number(),
  /** Node that opened it; a node ignores its own announcements. */
  origin: z.string(),
});
export type CooldownAnnouncement = z.infer<typeof cooldownAnnouncementSchema>;
export const cooldownOpenedTopic = defineTopic<CooldownAnnouncement>('cooldown.opened', cooldownAnnouncementSchema);

export const cooldownCloseSchema = z.object({
  key: z.string().min(1),
  /** Epoch ms the successful attempt was sent: a cooldown opened before then is over. */
  at: z.number(),
  origin: z.string(),
});
export type CooldownClose = z.infer<typeof cooldownCloseSchema>;
export const cooldownClosedTopic = defineTopic<CooldownClose>('cooldown.closed', cooldownCloseSchema);

export const prefillRefusalSchema = z.object({ key: z.string().min(1), at: z.number(), origin: z.string() });
export type PrefillRefusal = z.infer<typeof prefillRefusalSchema>;
export const prefillRefusedTopic = defineTopic<PrefillRefusal>('prefill.refused', prefillRefusalSchema);

// The same states as the db's provider_health table.
export const healthStatusSchema = z.enum(['healthy', 'unhealthy', 'unknown']);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

/**
 * One provider model (or, `model` null, the whole provider) changed health state. `at` is when it
 * was judged; `since` (unhealthy only) the newest evidence behind it (the last failure seen, or the
 * failed probe): the data plane skips the entry for at most its `error_cooldown` from `since`.
 */
export const healthChangeSchema = z.object({
  providerOwnerId: z.string().nullable(),
  providerId: z.string(),
  model: z.string().nullable(),
  status: healthStatusSchema,
  previous: healthStatusSchema,
  reason: z.string(),
  at: z.number(),
  since: z.number().optional(),
});
export type HealthChange = z.infer<typeof healthChangeSchema>;
export const healthChangedTopic = defineTopic<HealthChange>('health.changed', healthChangeSchema);
