import { legacyHeadersOf, SEALED_HEADERS_SETTING, sealedHeadersOf } from '@aisbf/core';
import { listProvidersWithPlainHeaders, upsertProvider, type Db } from '@aisbf/db';
import { secretHint, type SecretBox } from '@aisbf/secrets';

/**
 * Seals the header values of providers written before they were treated as secrets
 * (docs/architecture.md "Secrets"): run at boot by the roles that own the database, before the
 * first snapshot is published, so no plaintext header stays in a row or reaches Redis. Idempotent;
 * returns how many providers it rewrote. Reads only the rows whose settings mention `headers`
 * (docs/cluster.md "Control-plane cost"): a boot costs the rows to reseal, not the providers.
 */
export async function resealProviderHeaders(db: Db, secretBox: SecretBox, now: number): Promise<number> {
  let rewritten = 0;
  for (const provider of await listProvidersWithPlainHeaders(db)) {
    if (!('headers' in provider.settings)) continue;
    const sealed = sealedHeadersOf(provider.settings);
    for (const [name, value] of Object.entries(legacyHeadersOf(provider.settings)))
      sealed[name] = { enc: secretBox.encrypt(value), hint: secretHint(value) };
    const settings: Record<string, unknown> = { ...provider.settings, [SEALED_HEADERS_SETTING]: sealed };
    delete settings['headers'];
    await upsertProvider(
      db,
      {
        ownerId: provider.ownerId,
        id: provider.id,
        type: provider.type,
        endpoint: provider.endpoint,
        enabled: provider.enabled,
        adminOnly: provider.adminOnly,
        settings,
      },
      now,
    );
    rewritten++;
  }
  return rewritten;
}
