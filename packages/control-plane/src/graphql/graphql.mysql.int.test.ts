import { createTestMysqlDatabase } from '@aisbf/testkit';
import { defineGraphqlSuite } from '../test-support/graphql-suite';

defineGraphqlSuite('mysql', () => createTestMysqlDatabase('gql'));
