import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** The bench's own stalls during a timed phase, in milliseconds. */
export interface MeasuringProcessFigures {
  /** Event-loop delay of the timing thread (sampled every millisecond): p99 and max. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** Garbage collections of the timing thread: pauses summed, and the longest. */
  gcMs: number;
  gcMaxMs: number;
}

export interface MeasuringProcessWatch {
  stop(): MeasuringProcessFigures;
}

/**
 * Watches the thread that takes the timings (docs/benchmarks.md "Scale: what the bench itself
 * adds"): a sample is the measured system plus whatever kept this thread from reading its answer,
 * so the report shows this thread's event-loop delay and GC pauses beside the figures they can
 * inflate, rather than leaving them invisible.
 */
export function watchMeasuringProcess(): MeasuringProcessWatch {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let gcMs = 0;
  let gcMaxMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  delay.enable();
  return {
    stop() {
      delay.disable();
      // Entries still queued for the observer are delivered now, before it is disconnected.
      for (const entry of observer.takeRecords()) {
        gcMs += entry.duration;
        gcMaxMs = Math.max(gcMaxMs, entry.duration);
      }
      observer.disconnect();
      return {
        loopDelayP99Ms: delay.percentile(99) / 1e6,
        loopDelayMaxMs: delay.max / 1e6,
        gcMs,
        gcMaxMs,
      };
    },
  };
}
