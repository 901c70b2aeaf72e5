import type { AttemptDeps, AttemptPlan } from './attempt-plan';
import { runAttempts, type Served } from './run-attempts';

/**
 * Mid-stream continuation (`midstream: "continue"`): tries prefill-capable entries in turn with the
 * text delivered so far; a 400 marks the entry as refusing prefills. Null: nothing can continue.
 */
export async function continueElsewhere(
  deps: AttemptDeps,
  plan: AttemptPlan,
  failed: Served,
  delivered: string,
): Promise<Served | null> {
  plan.selection.excluded.add(failed.leaf.target.key);
  for (;;) {
    const continuation: AttemptPlan = {
      ...plan,
      prefill: delivered,
      startedAt: deps.clock(),
      selection: { ...plan.selection, requirePrefill: true, usedEarliest: true },
    };
    const result = await runAttempts(deps, continuation);
    if (result.ok) return result.served;
    if (result.clientGone || result.passthrough === null || result.passthrough.status !== 400) return null;
    const refused = result.lastKey;
    if (refused === null) return null;
    deps.state.markRefusesPrefill(refused);
    plan.selection.excluded.add(refused);
  }
}
