import type { ConfigChange } from '@aisbf/core';
import { z } from 'zod';
import { defineTopic } from './topic';

/** Mirrors core's `ConfigChange` (DESIGN.md §4); the `satisfies` below keeps the two in step. */
export const configChangeSchema = z.object({
  version: z.number().int().min(0),
  kind: z.enum(['user', 'token', 'provider', 'rotation', 'autoselect', 'health', 'models', 'snapshot']),
  id: z.string(),
  op: z.enum(['upsert', 'delete']),
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

// The same states as the db's provider_health table.
export const healthStatusSchema = z.enum(['healthy', 'unhealthy', 'unknown']);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

/** One provider (or provider+model) changed health state (issue 6). `model` null = the whole provider. */
export const healthChangeSchema = z.object({
  providerOwnerId: z.string().nullable(),
  providerId: z.string(),
  model: z.string().nullable(),
  status: healthStatusSchema,
  previous: healthStatusSchema,
  reason: z.string(),
  at: z.number(),
});
export type HealthChange = z.infer<typeof healthChangeSchema>;
export const healthChangedTopic = defineTopic<HealthChange>('health.changed', healthChangeSchema);

/** Result of a model discovery, for dashboards and listeners (the snapshot carries the models). */
export const modelsDiscoveredSchema = z.object({
  providerOwnerId: z.string().nullable(),
  providerId: z.string(),
  models: z.array(z.string()),
  added: z.array(z.string()),
  removed: z.array(z.string()),
  at: z.number(),
});
export type ModelsDiscovered = z.infer<typeof modelsDiscoveredSchema>;
export const modelsDiscoveredTopic = defineTopic<ModelsDiscovered>('models.discovered', modelsDiscoveredSchema);
