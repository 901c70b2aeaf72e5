import { z } from 'zod';
import type { Limits } from '../snapshot';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * Limits as the control plane accepts them (docs/usage.md). Cost budgets are micro-units of currency
 * (1 = 0.000001); `null` for the whole object clears every limit. Unknown keys are refused so a
 * typo (`requestPerDay`) is an error, not a silently absent quota.
 */
export const limitsSchema = z
  .object({
    requestsPerMinute: count.optional(),
    tokensPerMinute: count.optional(),
    requestsPerDay: count.optional(),
    requestsPerMonth: count.optional(),
    tokensPerDay: count.optional(),
    tokensPerMonth: count.optional(),
    costMicrosPerDay: count.optional(),
    costMicrosPerMonth: count.optional(),
  })
  .strict() satisfies z.ZodType<Limits>;
