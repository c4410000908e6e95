// Counts the SQL statements this process sends to Postgres, for tests that bound how many
// queries a request costs (an N+1 shows as a count that grows with the page). It hooks
// pg.Client#query, through which both Prisma's driver adapter (pool and transaction clients)
// and db.sql send every statement; PGlite databases are not seen.
import pg from 'pg';

export interface SqlStatementCounter {
  /** Statements sent since the counter started (or was reset). */
  readonly count: number;
  /** The statements' text, first line only, for a failing test's message. */
  readonly statements: readonly string[];
  reset(): void;
  /** Removes the hook. */
  stop(): void;
}

export function countSqlStatements(): SqlStatementCounter {
  const original = pg.Client.prototype.query;
  const seen: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pg.Client.prototype.query = function (this: pg.Client, ...args: any[]): any {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : (config?.text ?? '');
    seen.push(text.split('\n', 1)[0]!.slice(0, 200));
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return (original as any).apply(this, args);
  } as typeof original;
  return {
    get count() {
      return seen.length;
    },
    get statements() {
      return [...seen];
    },
    reset() {
      seen.length = 0;
    },
    stop() {
      pg.Client.prototype.query = original;
    },
  };
}
