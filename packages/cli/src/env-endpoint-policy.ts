import { resolveEndpointPolicy, type EndpointPolicy } from '@aisbf/core';
import type { Env } from './env';
import { localInterfaceAddresses } from './local-addresses';

/**
 * The endpoint policy of this process (docs/security.md). Its own ports and interface addresses count as its own, so
 * no provider endpoint can loop a request back into aisbf; `port` is the one given on the command line, if any.
 */
export const endpointPolicyFromEnv = (env: Env, port: number | undefined): EndpointPolicy =>
  resolveEndpointPolicy(
    env.AISBF_ENDPOINT_POLICY,
    [env.AISBF_PORT, env.AISBF_CONTROL_PORT, env.AISBF_WORKER_PORT, ...(port === undefined ? [] : [port])],
    localInterfaceAddresses(),
  );
