import { autoselectConfigSchema, compilePrivatePatterns, GatewayError, type UserPatterns } from '@aisbf/core';
import { findAutoselect } from '@aisbf/db';
import type { Actor } from './actor';
import { resolveOwner } from './owner-scope';
import type { ServiceContext } from './service-deps';
import { parseOrThrow } from './validation-error';

/** The local privacy detector (core's detectPrivacy), injected so this package does not fix its rules. */
export type PrivacyDetector = (text: string, extraPatterns: UserPatterns) => { private: boolean; findings: string[] };

export interface DryRunResult {
  route: string;
  reason: 'privacy' | 'semantic' | 'fallback';
  findings: string[];
}

/**
 * What an autoselect would do with `prompt`, without calling any model: the privacy step runs
 * locally as on the data plane; the semantic step needs the selection model and is not run, so a
 * non-private prompt shows the fallback.
 */
export function createAutoselectDryRun(ctx: ServiceContext, detector: PrivacyDetector) {
  return async (actor: Actor, input: { owner?: string | null; id: string; prompt: string }): Promise<DryRunResult> => {
    const scope = await resolveOwner(ctx.db, actor, input.owner);
    const stored =
      (await findAutoselect(ctx.db, scope.ownerId, input.id)) ??
      (scope.ownerId === actor.userId ? await findAutoselect(ctx.db, null, input.id) : undefined);
    if (stored === undefined)
      throw new GatewayError('NOT_FOUND', `autoselect "${input.id}" does not exist`, { path: 'id' });
    const config = parseOrThrow(autoselectConfigSchema, stored.config);
    if (config.classify_privacy) {
      // Same engine and bounds as the data plane; a list it cannot use marks the prompt private there too.
      const patterns = compilePrivatePatterns(config.private_patterns);
      const verdict = patterns.ok ? detector(input.prompt, patterns.value) : { private: true, findings: ['custom'] };
      if (verdict.private) {
        const candidates = config.available_models
          .map((c, i) => ({ c, i }))
          .filter(({ c }) => c.privacy)
          .sort(
            (a, b) =>
              (a.c.priority ?? Number.MAX_SAFE_INTEGER) - (b.c.priority ?? Number.MAX_SAFE_INTEGER) || a.i - b.i,
          );
        return { route: candidates[0]?.c.model_id ?? config.fallback, reason: 'privacy', findings: verdict.findings };
      }
    }
    return { route: config.fallback, reason: 'fallback', findings: [] };
  };
}
