import type { Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { aggregateUsageRows } from './usage-aggregates';
import { addHourlyText, hourlyParams, insertIgnoreText, MYSQL_CHUNK_ROWS, recordParams } from './mysql-usage-sql';
import type { UsageRecordsTable } from './usage-records.table';

/** The mysql2 pool under a MySQL/MariaDB `DatabaseHandle` (promise API), for this file's statements. */
export type MysqlPool = Pool;

/**
 * The row counts statements are prepared for: a full chunk, else powers of two (437 rows: 256 +
 * 128 + 32 + 16 + 4 + 1). A server-side prepared statement lives on its connection until closed,
 * and MariaDB caps them for the whole server (`max_prepared_stmt_count`, 16,382 by default): one
 * per distinct row count, up to 500 of them per table and connection, would reach it with a few
 * workers. This way a connection holds at most 10 per table.
 */
export function preparedRowCounts(rows: number): number[] {
  const counts: number[] = [];
  let left = rows;
  while (left > 0) {
    const count = left >= MYSQL_CHUNK_ROWS ? MYSQL_CHUNK_ROWS : 1 << (31 - Math.clz32(left));
    counts.push(count);
    left -= count;
  }
  return counts;
}

/**
 * `insertUsageEvents`' optimistic write of one chunk on MySQL/MariaDB through server-side prepared
 * statements (mysql2 `execute`, binary protocol) on one connection of the pool, in a transaction of
 * its own: `INSERT IGNORE` of the rows, then the hourly upsert of their sums. Measured cheaper for
 * MariaDB than the same SQL sent as text (docs/benchmarks.md "The cluster's usage pipeline").
 * Resolves true when committed; false when some id was already stored or repeated in the chunk
 * (fewer rows inserted than given): rolled back, nothing written, for the caller's checked path.
 * Errors (a deadlock, 1213, among them) roll back and are thrown.
 */
export async function mysqlInsertOptimisticPrepared(
  pool: MysqlPool,
  rows: ReadonlyArray<UsageRecordsTable>,
): Promise<boolean> {
  const conn = await pool.getConnection();
  let reusable = true;
  try {
    await conn.beginTransaction();
    try {
      if (!(await insertAll(conn, rows))) {
        await conn.rollback();
        return false;
      }
      const hourly = aggregateUsageRows(rows);
      let from = 0;
      for (const count of preparedRowCounts(hourly.length)) {
        await conn.execute(addHourlyText(count), hourlyParams(hourly, from, count));
        from += count;
      }
      await conn.commit();
      return true;
    } catch (err) {
      // A connection that cannot even roll back is not handed to the next user of the pool.
      await conn.rollback().catch(() => {
        reusable = false;
      });
      throw err;
    }
  } finally {
    if (reusable) conn.release();
    else conn.destroy();
  }
}

/** Inserts the rows statement by statement; false at the first that stored fewer rows than given. */
async function insertAll(conn: PoolConnection, rows: ReadonlyArray<UsageRecordsTable>): Promise<boolean> {
  let from = 0;
  for (const count of preparedRowCounts(rows.length)) {
    const [result] = await conn.execute<ResultSetHeader>(insertIgnoreText(count), recordParams(rows, from, count));
    if (result.affectedRows !== count) return false;
    from += count;
  }
  return true;
}
