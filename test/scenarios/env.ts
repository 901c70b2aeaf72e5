/** Knobs of the scenario and fuzz suites, read once (docs/conventions.md: process.env only here). */
export const scenarioEnv = Object.freeze({
  /** Rewrite generated docs (docs/reliability.md's scorecard) from this run instead of comparing. */
  updateDocs: process.env['AISBF_UPDATE_DOCS'] === '1',
  /** fast-check runs per property; CI keeps the default bounded. */
  fuzzRuns: Number(process.env['AISBF_FUZZ_RUNS'] ?? '') > 0 ? Number(process.env['AISBF_FUZZ_RUNS']) : 40,
});
