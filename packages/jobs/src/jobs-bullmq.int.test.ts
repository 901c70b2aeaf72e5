import { jobsSuite, mariadbBackend } from './test-support/jobs-suite';

// Cluster mode: BullMQ on the real Redis, MariaDB as the database.
jobsSuite(mariadbBackend, new Set(['bullmq', 'processors']));
