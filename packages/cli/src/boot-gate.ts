import type { IncomingMessage, ServerResponse } from 'node:http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Lets a role bind its port before its last boot step and hold the requests that arrive meanwhile.
 * The first admin is created only once the port is ours (a start that fails on a taken port leaves
 * nothing behind), yet a script that sees the port open must not race that step: its request waits
 * here until `open()`, then runs as usual.
 */
export function createBootGate(handler: Handler): { handler: Handler; open(): void } {
  let opened = false;
  let held: Array<() => void> = [];
  return {
    handler(req, res) {
      if (opened) handler(req, res);
      else held.push(() => handler(req, res));
    },
    open() {
      opened = true;
      const waiting = held;
      held = [];
      for (const run of waiting) run();
    },
  };
}
