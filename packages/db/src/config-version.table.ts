/** A single row (id = 1) holding the monotonic config version (DESIGN.md §3, §4). */
export interface ConfigVersionTable {
  id: number;
  version: number;
  updated_at: number;
}
