/** A single row (id = 1) holding the monotonic config version (docs/architecture.md "Propagation"). */
export interface ConfigVersionTable {
  id: number;
  version: number;
  updated_at: number;
}

/**
 * Whose config part a committed version touched, one row per owner: `owner_key` '' = the global
 * part, '*' = unknown (every part), else the user id. Kept for the last `CONFIG_CHANGES_KEPT` versions.
 */
export interface ConfigChangesTable {
  version: number;
  owner_key: string;
}
