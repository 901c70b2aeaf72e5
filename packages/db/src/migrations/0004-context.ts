import { type Kysely, type Migration } from 'kysely';

/**
 * Context management (docs/context.md): a provider model's AISBF keys (`max_tokens`,
 * `max_request_tokens`, `condense_*`, `rate_limit`) and, per request, what condensation did
 * (`<method>; <before>-><after>`, as the `x-aisbf-condensed` header says).
 */
export const context0004: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('provider_models').addColumn('limits', 'text').execute();
    await db.schema.alterTable('usage_records').addColumn('condensed', 'varchar(120)').execute();
  },
};
