import type { AutoselectDecision } from './create-autoselector';

/**
 * The JSON a dry run answers with (docs/autoselect.md, "explainable"): the decision without calling any backend,
 * so users can test their candidates' descriptions. Finding categories only, never matched text.
 */
export interface AutoselectDryRunBody {
  object: 'aisbf.autoselect.decision';
  autoselect: string;
  ok: boolean;
  route: string | null;
  routes: string[];
  reason: string | null;
  findings: string[];
  private: boolean;
  cause: string | null;
  selection_model: string | null;
  elapsed_ms: number | null;
  error: { message: string; code: string | null } | null;
}

export function autoselectDryRunBody(autoselectRoute: string, decision: AutoselectDecision): AutoselectDryRunBody {
  if (!decision.ok) {
    return {
      object: 'aisbf.autoselect.decision',
      autoselect: autoselectRoute,
      ok: false,
      route: null,
      routes: [],
      reason: null,
      findings: decision.findings,
      private: decision.findings.length > 0,
      cause: null,
      selection_model: null,
      elapsed_ms: null,
      error: { message: decision.error.message, code: decision.error.wireCode ?? null },
    };
  }
  return {
    object: 'aisbf.autoselect.decision',
    autoselect: autoselectRoute,
    ok: true,
    route: decision.routes[0] ?? null,
    routes: decision.routes,
    reason: decision.reason,
    findings: decision.findings,
    private: decision.private,
    cause: decision.cause,
    selection_model: decision.selectionModel,
    elapsed_ms: decision.elapsedMs,
    error: null,
  };
}
