import { discoverModels, type DiscoverModelsDeps } from '@aisbf/jobs';
import type { JobRunner } from './ports';

/** All-in-one mode: jobs run in this process, same processor code as the BullMQ worker (docs/architecture.md "Jobs and health"). */
export function createInProcessJobRunner(deps: DiscoverModelsDeps): JobRunner {
  return { discoverModels: (payload) => discoverModels(deps, payload) };
}
