/** One validation problem, as the control plane reports it in `data.issues` (docs/control-plane.md "Transports"). */
export interface Issue {
  path: string;
  message: string;
}

export interface ApiFailure {
  /** Human summary for a banner. */
  message: string;
  /** tRPC error code (`UNAUTHORIZED`, `BAD_REQUEST`, …) when the server sent one. */
  code: string | undefined;
  issues: Issue[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function readIssues(data: unknown): Issue[] {
  if (!isRecord(data) || !Array.isArray(data['issues'])) return [];
  const out: Issue[] = [];
  for (const raw of data['issues']) {
    if (!isRecord(raw) || typeof raw['message'] !== 'string') continue;
    const path = raw['path'];
    out.push({
      path: typeof path === 'string' ? path : Array.isArray(path) ? joinPath(path) : '',
      message: raw['message'],
    });
  }
  return out;
}

/** `['providers', 0, 'weight']` → `providers[0].weight`, the contract's string form. */
export function joinPath(parts: readonly unknown[]): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Reads a TRPCClientError (or anything thrown) without depending on its class. */
export function toFailure(error: unknown): ApiFailure {
  if (!isRecord(error) && !(error instanceof Error)) return { message: String(error), code: undefined, issues: [] };
  const shape = error as { message?: unknown; data?: unknown };
  const data = shape.data;
  const code = isRecord(data) && typeof data['code'] === 'string' ? data['code'] : undefined;
  const issues = readIssues(data);
  // A single-field error (e.g. CONFLICT on `id`) comes as `data.fieldPath` with the message.
  if (
    issues.length === 0 &&
    isRecord(data) &&
    typeof data['fieldPath'] === 'string' &&
    typeof shape.message === 'string'
  ) {
    issues.push({ path: data['fieldPath'], message: shape.message });
  }
  const message = typeof shape.message === 'string' && shape.message !== '' ? shape.message : 'Request failed';
  return { message: issues.length > 0 ? 'Please fix the highlighted fields.' : message, code, issues };
}

// Servers may prefix paths with the procedure's input wrapper (`input.endpoint`, `config.providers[0]`).
const WRAPPERS = ['input.', 'config.', 'document.'];

function normalize(path: string): string {
  for (const prefix of WRAPPERS) if (path.startsWith(prefix)) return path.slice(prefix.length);
  return path;
}

/**
 * The message for one field, matching `path` exactly after dropping wrappers, or as a suffix
 * (`rotations.coding-production.providers[0].weight` matches `providers[0].weight`).
 */
export function issueFor(issues: readonly Issue[], path: string): string | undefined {
  for (const issue of issues) {
    const p = normalize(issue.path);
    if (p === path || p.endsWith(`.${path}`)) return issue.message;
  }
  return undefined;
}

/** Issues no field claims, to show above the form. */
export function unclaimed(issues: readonly Issue[], fields: readonly string[]): Issue[] {
  return issues.filter((issue) => !fields.some((f) => issueFor([issue], f) !== undefined));
}

/** Non-blocking problems a save reported (e.g. `warnings` from rotations/autoselects upsert). */
export function warningsOf(result: unknown): Issue[] {
  return isRecord(result) ? readIssues({ issues: result['warnings'] }) : [];
}
