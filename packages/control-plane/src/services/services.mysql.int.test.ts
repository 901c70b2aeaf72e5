import { createTestMysqlDatabase } from '@aisbf/testkit';
import { defineServicesSuite } from '../test-support/services-suite';

defineServicesSuite('mysql', () => createTestMysqlDatabase('cp'));
