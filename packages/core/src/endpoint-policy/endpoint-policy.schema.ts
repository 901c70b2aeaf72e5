import { z } from 'zod';

/**
 * Which hosts user-owned providers may target (docs/endpoint-policy.md). Global providers
 * are written by admins and trusted (a local Ollama on loopback is a normal global provider).
 *
 * - `allow`: address classes a user-owned provider may reach. Default LAN and public, since the
 *   seed's CoderAI broker lives on the LAN. `loopback` is opt-in.
 * - `allowHosts` / `denyHosts`: patterns, each an exact host (`broker.lan`), a suffix (`*.corp`),
 *   an IP or a CIDR (`10.1.0.0/16`, `fd00::/8`). A deny wins over everything; an allow admits an
 *   address outside `allow`, but never the always-refused ones below.
 * - `gatewayPorts`: ports of the gateway itself, refused on loopback and on the host's own interface
 *   addresses even when those are allowed (a provider pointing at aisbf would loop requests
 *   through it with the user's rights).
 *
 * Always refused for user-owned providers: cloud metadata and link-local, unspecified
 * (0.0.0.0, ::), multicast/reserved ranges.
 */
export const endpointAddressClassSchema = z.enum(['loopback', 'lan', 'public']);
export type EndpointAllowClass = z.infer<typeof endpointAddressClassSchema>;

export const DEFAULT_GATEWAY_PORTS: readonly number[] = [17765, 17766, 17767];

export const endpointPolicySchema = z.object({
  allow: z.array(endpointAddressClassSchema).default(['lan', 'public']),
  allowHosts: z.array(z.string().min(1)).default([]),
  denyHosts: z.array(z.string().min(1)).default([]),
  gatewayPorts: z.array(z.number().int().min(1).max(65535)).default([...DEFAULT_GATEWAY_PORTS]),
});
export type EndpointPolicy = z.infer<typeof endpointPolicySchema> & {
  /**
   * The addresses of this host's interfaces (given by the process, not by the JSON): the gateway's
   * ports are refused on each of them too, since a gateway listening on all interfaces is reached
   * through its LAN address as well as through loopback.
   */
  ownAddresses?: readonly string[];
};
export type EndpointPolicyInput = z.input<typeof endpointPolicySchema>;

export const defaultEndpointPolicy = (): EndpointPolicy => endpointPolicySchema.parse({});

/**
 * The policy from its JSON form (e.g. `AISBF_ENDPOINT_POLICY`), with the gateway's actual ports
 * added to the refused ones so a non-default `--port` is covered too, and the host's own interface
 * addresses (`ownAddresses`) on which those ports are refused as on loopback.
 */
export function resolveEndpointPolicy(
  input: EndpointPolicyInput | undefined,
  ownPorts: readonly number[] = [],
  ownAddresses: readonly string[] = [],
): EndpointPolicy {
  const policy = endpointPolicySchema.parse(input ?? {});
  return {
    ...policy,
    gatewayPorts: [...new Set([...policy.gatewayPorts, ...ownPorts])],
    ownAddresses: [...new Set(ownAddresses)],
  };
}
