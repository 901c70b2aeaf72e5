import { EnvError, type Env } from './env';

type OptionalString<T> = {
  [K in keyof T]-?: undefined extends T[K] ? (T[K] extends string | undefined ? K : never) : never;
}[keyof T];

/**
 * The variables a cluster role cannot start without, in the same `invalid environment:` shape as `parseEnv`'s errors:
 * `AISBF_X: required by <role> <why>`, for the first one missing. Returns their values, now known to be set.
 */
export function requireEnv<K extends OptionalString<Env>>(
  env: Env,
  role: string,
  why: Record<K, string>,
): Record<K, string> {
  const values = {} as Record<K, string>;
  for (const name of Object.keys(why) as K[]) {
    const value = env[name];
    if (value === undefined) throw new EnvError(`invalid environment:\n  ${name}: required by ${role} ${why[name]}`);
    values[name] = value as string;
  }
  return values;
}
