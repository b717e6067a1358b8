import type { Database, QueryResult, Row, Statement } from "../../src/db";

/**
 * Hooks that run before a statement reaches the real database: a test uses them to fail one
 * statement on purpose, or to let another writer in at an exact point. Return nothing to let it through.
 */
export type DatabaseIntercepts = {
  query?: (sql: string, params: readonly unknown[] | undefined) => Promise<void> | void;
  batch?: (statements: readonly Statement[]) => Promise<void> | void;
};

/** `db` with `intercepts` in front of its queries and batches; everything else goes straight through. */
export function interceptDatabase(db: Database, intercepts: DatabaseIntercepts): Database {
  return {
    engine: db.engine,
    async query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      await intercepts.query?.(sql, params);
      return db.query<T>(sql, params);
    },
    exec: (sql) => db.exec(sql),
    transaction: (fn) => db.transaction(fn),
    async batch(statements) {
      await intercepts.batch?.(statements);
      return db.batch(statements);
    },
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    close: () => db.close(),
  };
}

/** Intercepts that throw `error` the first time a query's SQL matches `pattern`. */
export function failOnce(pattern: RegExp, error: () => Error): DatabaseIntercepts {
  let failed = false;
  return {
    query(sql) {
      if (failed || !pattern.test(sql)) return;
      failed = true;
      throw error();
    },
  };
}
