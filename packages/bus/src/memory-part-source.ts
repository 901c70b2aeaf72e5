import type { ConfigPartLoader } from '@aisbf/core';
import type { Bus } from './bus';
import { createBusPartSource, type ManagedPartSource } from './bus-part-source';
import { createMemoryBus } from './memory-bus';
import { createPartPublisher, type PartPublisher } from './part-publisher';
import { createMemoryPartStore, type PartStore } from './part-store';

export interface InProcessPropagation {
  bus: Bus;
  store: PartStore;
  /** Give to the control plane as its ConfigPublisher. */
  publisher: PartPublisher;
  /** Give to the data plane as its config source. */
  source: ManagedPartSource;
  /** Stores every part once at boot, before the data plane first loads. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * All-in-one mode: the same publisher, store semantics and source logic as a cluster, over the
 * in-process bus and a memory store (no polling). Pass a bus to share it.
 */
export function createInProcessPropagation(options: {
  load: ConfigPartLoader;
  bus?: Bus;
  /** Byte budget of the user parts the source holds (see createBusPartSource). */
  budgetBytes?: number;
  onError?: (error: unknown, context: string) => void;
}): InProcessPropagation {
  const bus = options.bus ?? createMemoryBus();
  const store = createMemoryPartStore();
  const publisher = createPartPublisher({ bus, store, load: options.load, onError: options.onError });
  const source = createBusPartSource({
    bus,
    store,
    pollMs: 0,
    onError: options.onError,
    ...(options.budgetBytes === undefined ? {} : { budgetBytes: options.budgetBytes }),
  });
  return {
    bus,
    store,
    publisher,
    source,
    start: async () => {
      await publisher.republish();
    },
    async close() {
      await publisher.close();
      await source.close();
      if (!options.bus) await bus.close();
    },
  };
}
