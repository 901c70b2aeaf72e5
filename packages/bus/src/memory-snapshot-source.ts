import type { Snapshot } from '@aisbf/core';
import type { Bus } from './bus';
import { createBusSnapshotSource, type ManagedSnapshotSource } from './bus-snapshot-source';
import { createMemoryBus } from './memory-bus';
import { createSnapshotPublisher, type SnapshotPublisher } from './snapshot-publisher';
import { createMemorySnapshotStore, type SnapshotStore } from './snapshot-store';

export interface MemorySnapshotSourceOptions {
  bus: Bus;
  store: SnapshotStore;
  onError?: (error: unknown, context: string) => void;
}

/** All-in-one mode: same logic as the Redis source over the in-process bus and store. */
export function createMemorySnapshotSource(options: MemorySnapshotSourceOptions): ManagedSnapshotSource {
  return createBusSnapshotSource({ bus: options.bus, store: options.store, pollMs: 0, onError: options.onError });
}

export interface InProcessPropagation {
  bus: Bus;
  store: SnapshotStore;
  /** Give to the control plane as its ConfigPublisher. */
  publisher: SnapshotPublisher;
  /** Give to the data plane as its SnapshotSource. */
  source: ManagedSnapshotSource;
  /** Stores the committed snapshot once at boot, before the data plane first loads. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Wires publisher and source of one all-in-one process together. Pass a bus to share it. */
export function createInProcessPropagation(options: {
  loadSnapshot: () => Promise<Snapshot>;
  bus?: Bus;
}): InProcessPropagation {
  const bus = options.bus ?? createMemoryBus();
  const store = createMemorySnapshotStore();
  const publisher = createSnapshotPublisher({ bus, store, loadSnapshot: options.loadSnapshot });
  const source = createMemorySnapshotSource({ bus, store });
  return {
    bus,
    store,
    publisher,
    source,
    start: () => publisher.republish(),
    async close() {
      await publisher.close();
      await source.close();
      if (!options.bus) await bus.close();
    },
  };
}
