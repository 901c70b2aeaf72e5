import { jobsSuite, sqliteBackend } from './test-support/jobs-suite';

// All-in-one mode: no Redis, SQLite; the same processors on the in-process runner.
jobsSuite(sqliteBackend, new Set(['in-process', 'processors']));
