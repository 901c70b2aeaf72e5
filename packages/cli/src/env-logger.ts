import type { Env } from './env';
import type { Logger } from 'pino';
import { createLogger, resolveLogFormat } from './logger';

/** Every role's logger: level and format from the environment, `auto` meaning pretty on a terminal. */
export const createEnvLogger = (env: Env): ReturnType<typeof createLogger> =>
  createLogger(env.AISBF_LOG_LEVEL, {
    format: resolveLogFormat(env.AISBF_LOG_FORMAT, process.stdout.isTTY === true),
  });
