/** Knobs of the security suite, read once (docs/conventions.md: process.env only in env.ts files). */
export const securityEnv = Object.freeze({
  /** fast-check runs per property; CI keeps the default bounded, AISBF_FUZZ_RUNS asks for more. */
  fuzzRuns: Number(process.env['AISBF_FUZZ_RUNS'] ?? '') > 0 ? Number(process.env['AISBF_FUZZ_RUNS']) : 30,
});
