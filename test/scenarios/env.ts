/** Knobs of the scenario and fuzz suites, read once (docs/conventions.md: process.env only here). */
export const scenarioEnv = Object.freeze({
  /** Write the scorecard into docs/reliability.md after the run. */
  writeScorecard: process.env['AISBF_WRITE_SCORECARD'] === '1',
  /** fast-check runs per property; CI keeps the default bounded. */
  fuzzRuns: Number(process.env['AISBF_FUZZ_RUNS'] ?? '') > 0 ? Number(process.env['AISBF_FUZZ_RUNS']) : 40,
});
