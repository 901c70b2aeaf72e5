import { GatewayError } from '@aisbf/core';
import type { Leaf } from './select-leaf';

/**
 * AISBF's `api_key_required` (docs/context.md "Keys"): saving such a provider without a key is
 * refused, but a snapshot may still hold one (stored before that check, or its key cleared by an
 * older writer). Its entry is skipped with the reason rather than sent unauthenticated.
 */
export function missingKeySkip(leaf: Leaf): { reason: string; error: GatewayError } | null {
  const provider = leaf.target.provider;
  if (provider.apiKeyRequired !== true || provider.apiKeyEnc !== null) return null;
  const reason = `provider ${provider.id} sets api_key_required but has no API key stored; nothing was sent`;
  return {
    reason,
    error: new GatewayError('NO_HEALTHY_TARGET', `No entry could be sent: ${reason}.`, {
      wireCode: 'provider_key_missing',
    }),
  };
}
