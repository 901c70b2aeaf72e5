import { describe, expect, it } from 'vitest';
import { ENV_VARS, parseEnv } from './env';

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv({});
    expect(env.AISBF_PORT).toBe(17765);
    expect(env.AISBF_CONTROL_PORT).toBe(17766);
    expect(env.AISBF_WORKER_PORT).toBe(17767);
    expect(env.AISBF_DATA_DIR).toBe('./data');
    expect(env.AISBF_DATABASE_URL).toBeUndefined();
    expect(env.AISBF_REDIS_URL).toBeUndefined();
  });

  it('names the bad variable', () => {
    expect(() => parseEnv({ AISBF_PORT: 'eighty' })).toThrow(/AISBF_PORT/);
    expect(() => parseEnv({ AISBF_DATABASE_URL: 'postgres://x' })).toThrow(
      /AISBF_DATABASE_URL: must start with sqlite: or mysql:\/\//,
    );
    expect(() => parseEnv({ AISBF_REDIS_URL: 'localhost:6379' })).toThrow(/AISBF_REDIS_URL/);
    expect(() => parseEnv({ AISBF_ADMIN_PASSWORD: 'short' })).toThrow(/AISBF_ADMIN_PASSWORD/);
  });

  it('treats empty strings as unset, as compose files often pass them', () => {
    expect(parseEnv({ AISBF_REDIS_URL: '' }).AISBF_REDIS_URL).toBeUndefined();
  });

  it('lists every accepted variable', () => {
    expect(ENV_VARS).toContain('AISBF_SECRET_KEY');
    expect(ENV_VARS).toContain('AISBF_ADMIN_TOKEN');
  });
});
