#!/usr/bin/env node
// The test suite runs against real MariaDB and Redis (AISBF_TEST_MYSQL_URL, AISBF_TEST_REDIS_URL;
// defaults 127.0.0.1:3306 root and 127.0.0.1:6379). Start them when installed but stopped; when
// absent, say exactly what to install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';

const mysqlUrl = new URL(process.env.AISBF_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');
const redisUrl = new URL(process.env.AISBF_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');

const reachable = (host, port) =>
  new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ensure(name, host, port, binary, start, install) {
  if (await reachable(host, port)) return true;
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    console.error(`${name} at ${host}:${port} is not reachable.`);
    return false;
  }
  if (!existsSync(binary)) {
    console.error(
      `${name} is not installed. Install it with:\n  ${install}\nor point the tests at a running server with the env vars above.`,
    );
    return false;
  }
  console.log(`starting ${name}…`);
  spawnSync('sh', ['-c', start], { stdio: 'inherit' });
  for (let i = 0; i < 60; i++) {
    if (await reachable(host, port)) return true;
    await sleep(500);
  }
  console.error(`${name} did not come up on ${host}:${port}.`);
  return false;
}

const okRedis = await ensure(
  'Redis',
  redisUrl.hostname,
  redisUrl.port || 6379,
  '/usr/bin/redis-server',
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
  'apt-get install -y redis-server',
);
const okMysql = await ensure(
  'MariaDB',
  mysqlUrl.hostname,
  mysqlUrl.port || 3306,
  '/usr/sbin/mariadbd',
  'mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null; start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql',
  'apt-get install -y mariadb-server',
);
process.exit(okRedis && okMysql ? 0 : 1);
