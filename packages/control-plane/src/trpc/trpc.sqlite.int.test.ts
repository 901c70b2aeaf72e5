import { defineTrpcSuite } from '../test-support/trpc-suite';

defineTrpcSuite('sqlite', async () => 'sqlite::memory:');
