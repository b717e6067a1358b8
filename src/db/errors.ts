import { BaseError, NonRetryableError } from "../errors/base";

/** The database could not be opened (bad URL, server down, data dir in use or unreadable). */
export class DatabaseOpenError extends BaseError {
  override name = "DatabaseOpenError";
}

/** The database itself was queried inside one of its own transactions: use the `tx` handle. */
export class QueryOutsideTransactionError extends NonRetryableError {
  override name = "QueryOutsideTransactionError";
  constructor() {
    super("Queried the database inside its own transaction callback", {
      metaMessages: ["Inside db.transaction(async (tx) => ...), run queries on tx, not on db."],
    });
  }
}

/** A migration file is malformed, changed after it was applied, or missing. */
export class MigrationError extends NonRetryableError {
  override name = "MigrationError";
}

/** A statement of `Database.batch` affected another number of rows than it expected: nothing was written. */
export class BatchRowCountError extends NonRetryableError {
  override name = "BatchRowCountError";
  readonly statement: number;
  readonly expected: number;
  readonly actual: number;
  constructor(statement: number, expected: number, actual: number) {
    super(`Statement ${statement + 1} of a batch affected ${actual} row${actual === 1 ? "" : "s"}, not ${expected}: the batch was rolled back`);
    this.statement = statement;
    this.expected = expected;
    this.actual = actual;
  }
}
