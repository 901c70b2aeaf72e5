import { createRequire } from 'node:module';
import { destination, pino, type DestinationStream, type Logger } from 'pino';

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

/** Bytes of log lines gathered before one write (about 10 request lines). */
export const LOG_BUFFER_BYTES = 4096;
/** Longest a buffered line waits on a quiet node before it is written anyway. */
export const LOG_FLUSH_MS = 1000;

/**
 * stdout, written asynchronously in chunks of `LOG_BUFFER_BYTES`: a busy node wrote one line per
 * request, each its own write call (about 10 % of the data plane's CPU under load). Lines are never
 * held longer than `LOG_FLUSH_MS`, and pino writes what is left synchronously when the process
 * exits, so a shutdown loses none (docs/decisions.md "Log lines leave in buffered writes").
 */
export function bufferedStdout(fd = 1): DestinationStream & { flushSync(): void } {
  const stream = destination({ dest: fd, sync: false, minLength: LOG_BUFFER_BYTES });
  const timer = setInterval(() => {
    try {
      stream.flush();
    } catch {
      // Ended or destroyed meanwhile: nothing left to write.
      clearInterval(timer);
    }
  }, LOG_FLUSH_MS);
  // The timer must not keep a process alive that is otherwise done.
  timer.unref();
  stream.once('finish', () => clearInterval(timer));
  stream.once('close', () => clearInterval(timer));
  return stream;
}
