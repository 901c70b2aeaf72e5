import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { safeJsonParse, usageEventSchema, type UsageEvent, type UsageSink } from '@aisbf/core';

export interface UsageSpoolOptions {
  /** Where abandoned events are kept until the next start (created 0700 on first use). */
  dir: string;
  onError?: (error: unknown, context: string) => void;
}

export interface UsageSpool {
  /** Writes events their store did not take before shutdown to a new file; resolves with its path. */
  save(events: readonly UsageEvent[]): Promise<string>;
  /**
   * Emits every spooled event into `sink`, waits until the sink has written them, then deletes
   * their files. Resolves with the number of events replayed.
   */
  replay(sink: UsageSink): Promise<number>;
}

const SUFFIX = '.ndjson';

/**
 * A spooled file, or one a process claimed and did not finish: it died (its pid is gone), or it was
 * this very pid in an earlier life (a container's process is pid 1 every time).
 */
function replayable(name: string): boolean {
  if (name.endsWith(SUFFIX)) return true;
  const claim = /\.ndjson\.replaying-(\d+)$/.exec(name);
  if (claim === null) return false;
  const pid = Number(claim[1]);
  return pid === process.pid || !alive(pid);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The last resort of "no usage record is lost" (docs/usage.md "Where usage goes"): events still in
 * a sink's buffer when shutdown's grace runs out (the database or Redis is slow or away) are written
 * to a file, one JSON event a line, and handed to the sink again at the next start. A file is only
 * ever complete: it is written under a temporary name, synced, then renamed. Replaying twice is
 * harmless, because writers insert-or-ignore on the event id (docs/jobs.md); a file is claimed by
 * renaming it first, so two processes sharing the directory do not both replay it.
 */
export function createUsageSpool(options: UsageSpoolOptions): UsageSpool {
  const onError = options.onError ?? (() => undefined);
  const ensureDir = () => mkdir(options.dir, { recursive: true, mode: 0o700 });
  return {
    async save(events) {
      await ensureDir();
      const name = `usage-${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}`;
      const temporary = join(options.dir, `${name}.tmp`);
      const file = await open(temporary, 'wx', 0o600);
      try {
        await file.writeFile(events.map((event) => JSON.stringify(event)).join('\n') + '\n');
        await file.sync();
      } finally {
        await file.close();
      }
      const path = join(options.dir, `${name}${SUFFIX}`);
      await rename(temporary, path);
      return path;
    },
    async replay(sink) {
      let names: string[];
      try {
        names = (await readdir(options.dir)).filter(replayable).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw error;
      }
      let replayed = 0;
      // One file at a time, each deleted once the sink has written it: memory stays one file's worth.
      for (const name of names) {
        const path = join(
          options.dir,
          `${name.slice(0, name.indexOf(SUFFIX) + SUFFIX.length)}.replaying-${process.pid}`,
        );
        try {
          await rename(join(options.dir, name), path);
        } catch (error) {
          // Another process claimed it first.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        let rejected = 0;
        for (const line of (await readFile(path, 'utf8')).split('\n')) {
          if (line === '') continue;
          const parsed = safeJsonParse(line);
          const event = parsed.ok ? usageEventSchema.safeParse(parsed.value) : null;
          if (event?.success === true) {
            sink.emit(event.data);
            replayed += 1;
          } else rejected += 1;
        }
        if (rejected > 0) onError(new Error(`${rejected} unreadable lines in ${name}`), 'usage spool replay');
        await sink.flush();
        await unlink(path);
      }
      return replayed;
    },
  };
}
