/** A single row (id = 1) holding the monotonic config version (docs/architecture.md "Propagation"). */
export interface ConfigVersionTable {
  id: number;
  version: number;
  updated_at: number;
}
