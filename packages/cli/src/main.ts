#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { EnvError, parseEnv } from './env';
import { capYoungGeneration } from './young-generation';

/**
 * The data-plane node's young generation (V8's new space), MiB: 16 instead of V8's 32 keeps a node
 * with 1,000 open streams under 150 MB; 8 would save ~7 MiB more at more than twice the GC time
 * (docs/data-plane.md "Memory", measured in docs/benchmarks.md).
 */
const DATA_PLANE_YOUNG_GENERATION_MIB = 16;

const USAGE = `usage: aisbf <command> [--port N]

commands:
  start           all-in-one: data plane, control plane and dashboard on one port (SQLite by default)
  control-plane   GraphQL, tRPC and dashboard (needs AISBF_DATABASE_URL and AISBF_REDIS_URL)
  data-plane      stateless OpenAI-compatible proxy node (needs AISBF_REDIS_URL, never the database)
  worker          BullMQ jobs: model discovery, health checks, usage writes
  migrate         apply database migrations and exit
  admin reset-password [username]
                  set a user's password (AISBF_ADMIN_PASSWORD, or a generated one printed once)

Configuration is read from AISBF_* environment variables (see README.md).`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help === true || command === undefined || command === 'help') {
    console.log(USAGE);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) {
    console.error(`--port: "${values.port}" is not a port number`);
    return 2;
  }
  const env = parseEnv(process.env);
  // Each role loads only its own modules (and, bundled, only its own chunk): a data-plane node does
  // not carry the control plane's GraphQL stack, and its RSS is what the 1,000-stream target counts.
  switch (command) {
    case 'start':
      return (await import('./commands/start')).runStart(env, { port });
    case 'control-plane':
      return (await import('./commands/control-plane')).runControlPlane(env, { port });
    case 'data-plane':
      // Before the role's modules load: loading them alone would grow the young generation to 32 MiB.
      capYoungGeneration(DATA_PLANE_YOUNG_GENERATION_MIB, {
        execArgv: process.execArgv,
        nodeOptions: process.env['NODE_OPTIONS'],
      });
      return (await import('./commands/data-plane')).runDataPlane(env, { port });
    case 'worker':
      return (await import('./commands/worker')).runWorker(env, { port });
    case 'migrate':
      return (await import('./commands/migrate')).runMigrate(env);
    case 'admin':
      return (await import('./commands/admin')).runAdmin(env, positionals.slice(1));
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Long-running roles resolve only when they have shut down; their exit code is final.
    process.exitCode = code;
    // What still holds the event loop after that (a Redis client retrying a server that is gone)
    // must not keep a stopped process alive; normally the loop is empty and this never fires.
    setTimeout(() => process.exit(code), 2_000).unref();
  },
  (error: unknown) => {
    if (error instanceof EnvError) console.error(`aisbf: ${error.message}`);
    else console.error(`aisbf: ${error instanceof Error ? error.message : String(error)}`);
    // A role that failed at boot may hold sockets and timers open: leave at once, non-zero.
    process.exit(1);
  },
);
