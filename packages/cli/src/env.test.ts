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
    expect(() => parseEnv({ AISBF_DATA_PLANE_URL: 'http://dp:17765/v1' })).toThrow(
      /AISBF_DATA_PLANE_URL: must be http\(s\):\/\/host:port, without a path/,
    );
    expect(parseEnv({ AISBF_DATA_PLANE_URL: 'http://dp:17765' }).AISBF_DATA_PLANE_URL).toBe('http://dp:17765');
  });

  it('states the admin token format at boot, the same one the README shows and the service checks', () => {
    expect(() => parseEnv({ AISBF_ADMIN_TOKEN: 'aisbf_tooShort0123456789abcd' })).toThrow(
      /AISBF_ADMIN_TOKEN: must be "aisbf_" followed by at least 32 characters/,
    );
    expect(() => parseEnv({ AISBF_ADMIN_TOKEN: 'token_0123456789abcdef0123456789abcdef' })).toThrow(
      /AISBF_ADMIN_TOKEN/,
    );
    const good = `aisbf_${'0123456789abcdef'.repeat(3)}`;
    expect(parseEnv({ AISBF_ADMIN_TOKEN: good }).AISBF_ADMIN_TOKEN).toBe(good);
  });

  it('logs readable lines at a terminal and JSON elsewhere unless told', () => {
    expect(parseEnv({}).AISBF_LOG_FORMAT).toBe('auto');
    expect(() => parseEnv({ AISBF_LOG_FORMAT: 'xml' })).toThrow(/AISBF_LOG_FORMAT/);
  });

  it('treats empty strings as unset, as compose files often pass them', () => {
    expect(parseEnv({ AISBF_REDIS_URL: '' }).AISBF_REDIS_URL).toBeUndefined();
  });

  it('lists every accepted variable', () => {
    expect(ENV_VARS).toContain('AISBF_SECRET_KEY');
    expect(ENV_VARS).toContain('AISBF_ADMIN_TOKEN');
  });
});
