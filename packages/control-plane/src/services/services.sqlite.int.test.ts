import { defineServicesSuite } from '../test-support/services-suite';

defineServicesSuite('sqlite', async () => 'sqlite::memory:');
