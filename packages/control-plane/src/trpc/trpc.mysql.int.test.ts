import { createTestMysqlDatabase } from '@aisbf/testkit';
import { defineTrpcSuite } from '../test-support/trpc-suite';

defineTrpcSuite('mysql', () => createTestMysqlDatabase('trpc'));
