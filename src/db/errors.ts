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
