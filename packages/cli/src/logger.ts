import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import { bufferedStdout } from './buffered-stdout';

/**
 * Logs (pino). Secrets are redacted by construction: the paths below cover every place a token or
 * key could travel (headers, provider inputs), whatever a caller logs by mistake.
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

export type LogFormatSetting = 'auto' | 'json' | 'pretty';

/**
 * A person at a terminal reads lines, a log shipper reads JSON: `auto` picks by whether stdout is a
 * terminal, so `npm start` is readable and a container or systemd unit still ships JSON.
 */
export function resolveLogFormat(setting: LogFormatSetting, stdoutIsTty: boolean): 'json' | 'pretty' {
  if (setting === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  return setting;
}

interface PrettyOptions {
  colorize: boolean;
  translateTime: string;
  ignore: string;
  singleLine: boolean;
  destination?: DestinationStream;
}

export function createLogger(
  level: string,
  options: { format?: 'json' | 'pretty'; destination?: DestinationStream } = {},
): Logger {
  const pinoOptions = { level, base: { pid: process.pid }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (options.format === 'pretty') {
    // Loaded only when asked for, so a JSON-logging node never carries the formatter. It formats on
    // the main thread (no worker transport): fine for a terminal, and redaction runs before it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => DestinationStream;
    const stream = pretty({
      colorize: options.destination === undefined && process.stdout.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
      ...(options.destination === undefined ? {} : { destination: options.destination }),
    });
    return pino(pinoOptions, stream);
  }
  return pino(pinoOptions, options.destination ?? bufferedStdout());
}
