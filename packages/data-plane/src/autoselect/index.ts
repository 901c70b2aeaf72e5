export {
  createAutoselector,
  type AutoselectChoice,
  type AutoselectDecision,
  type AutoselectReason,
  type AutoselectRequestBody,
  type Autoselector,
  type AutoselectorDeps,
  type SelectionSkipCause,
} from './create-autoselector';
export { createDecisionCache, type DecisionCache } from './decision-cache';
export { orderRoutes, rankCandidates } from './rank-candidates';
export { autoselectDryRunBody, type AutoselectDryRunBody } from './dry-run-body';
