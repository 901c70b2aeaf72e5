import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * JSON logs (pino). Secrets are redacted by construction: the paths below cover every place a
 * token or key could travel (headers, provider inputs), whatever a caller logs by mistake.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.token',
  'apiKey',
  'api_key',
  'password',
  'token',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
