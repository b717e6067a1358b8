import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { assertChannel, assertCopyFromStdin, type Database, type Queryable, type QueryResult, type Row, type Statement } from "./database";
import { BatchRowCountError, DatabaseOpenError, QueryOutsideTransactionError } from "./errors";
import type { ThreadReply, ThreadRequest } from "./pgliteThreadProtocol";

type Pending = { resolve: (result: unknown) => void; reject: (error: Error) => void };
/** A request without its id (the proxy numbers them). */
type Outgoing = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

/**
 * PGlite in a worker thread, behind the same `Database` interface. PostgreSQL's own work (parsing,
 * planning, writing pages and WAL) then runs beside the gateway's thread instead of on it: the
 * relay's intake and the indexer's writes stop taking turns with HTTP. Values cross the thread
 * boundary by structured clone; bytea comes back as `Buffer`, as on the other engines.
 */
export async function openPgliteInWorker(dir: string | null, release: () => void): Promise<Database> {
  const entry = path.join(__dirname, `pgliteThread${path.extname(__filename)}`);
  // From TypeScript sources the thread needs a loader too: inherited with the process's own
  // `-r` (scripts/register-ts.js for `npm start`, ts-node for mocha), else given here.
  const needsLoader = entry.endsWith(".ts") && !process.execArgv.some((arg) => arg.includes("ts-node") || arg.includes("register-ts"));
  const loader = path.join(__dirname, "..", "..", "scripts", "register-ts.js");
  const worker = new Worker(entry, { workerData: { dir }, ...(needsLoader ? { execArgv: ["--require", loader] } : {}) });
  const db = new PgliteWorkerDatabase(worker, release);
  try {
    await db.call({ op: "open" });
  } catch (error) {
    await db.terminate();
    throw new DatabaseOpenError(`Cannot open the embedded database${dir ? ` at ${dir}` : ""}`, { cause: error });
  }
  return db;
}

class PgliteWorkerDatabase implements Database {
  readonly engine = "pglite" as const;
  readonly #worker: Worker;
  readonly #release: () => void;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<number, (payload: string) => void>();
  readonly #inTransaction = new AsyncLocalStorage<true>();
  #nextId = 1;
  /** Set once the thread is gone: every later call fails with it. */
  #gone: Error | null = null;

  constructor(worker: Worker, release: () => void) {
    this.#worker = worker;
    this.#release = release;
    // The thread keeps the process alive only while an answer is awaited, like PGlite in-process.
    worker.unref();
    worker.on("message", (message: ThreadReply) => this.#receive(message));
    worker.on("error", (error) => this.#fail(error));
    worker.on("exit", (code) => this.#fail(new Error(`the database thread exited (code ${code})`)));
  }

  query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    this.#assertOutsideTransaction();
    return this.call({ op: "query", sql, params }) as Promise<QueryResult<T>>;
  }

  async exec(sql: string): Promise<void> {
    this.#assertOutsideTransaction();
    await this.call({ op: "exec", sql });
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertOutsideTransaction();
    const tx = this.#nextId++;
    await this.call({ op: "begin" }, tx);
    let result: T;
    try {
      result = await this.#inTransaction.run(true, () => fn(new PgliteWorkerTransaction(this, tx)));
    } catch (error) {
      await this.call({ op: "rollback", tx }).catch(() => {});
      throw error;
    }
    await this.call({ op: "commit", tx });
    return result;
  }

  async batch(statements: readonly Statement[]): Promise<QueryResult[]> {
    this.#assertOutsideTransaction();
    // Refused here, as the other engines do, rather than as the thread's error.
    for (const statement of statements) if (statement.copyRows !== undefined) assertCopyFromStdin(statement.sql);
    try {
      return ((await this.call({ op: "batch", statements })) as QueryResult[]).map((result) => withBuffers(result) as QueryResult);
    } catch (error) {
      // The thread's error came as plain fields: the caller gets the class it may test for.
      const fields = error as Partial<BatchRowCountError>;
      if (fields.name === "BatchRowCountError") throw new BatchRowCountError(fields.statement!, fields.expected!, fields.actual!);
      throw error;
    }
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannel(channel);
    const listener = this.#nextId++;
    this.#listeners.set(listener, onNotify);
    try {
      await this.call({ op: "listen", channel, listener });
    } catch (error) {
      this.#listeners.delete(listener);
      throw error;
    }
    return async () => {
      this.#listeners.delete(listener);
      await this.call({ op: "unlisten", listener });
    };
  }

  async close(): Promise<void> {
    try {
      if (!this.#gone) await this.call({ op: "close" });
    } finally {
      await this.terminate();
    }
  }

  /** Stops the thread and releases the data directory's lock. */
  async terminate(): Promise<void> {
    this.#gone ??= new Error("the database is closed");
    try {
      await this.#worker.terminate();
    } finally {
      this.#release();
    }
  }

  /** Sends one request and resolves with its answer. `id`: given when the caller needs it beforehand (a transaction's). */
  call(request: Outgoing, id = this.#nextId++): Promise<unknown> {
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  #receive(message: ThreadReply): void {
    if ("notify" in message) {
      this.#listeners.get(message.notify)?.(message.payload);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (message.ok) pending.resolve(withBuffers(message.result));
    else pending.reject(deserializeError(message.error));
  }

  #fail(error: Error): void {
    this.#gone ??= error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #assertOutsideTransaction(): void {
    if (this.#inTransaction.getStore()) throw new QueryOutsideTransactionError();
  }
}

class PgliteWorkerTransaction implements Queryable {
  readonly engine = "pglite" as const;
  readonly #db: PgliteWorkerDatabase;
  readonly #tx: number;

  constructor(db: PgliteWorkerDatabase, tx: number) {
    this.#db = db;
    this.#tx = tx;
  }

  query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return this.#db.call({ op: "query", sql, params, tx: this.#tx }) as Promise<QueryResult<T>>;
  }

  async exec(sql: string): Promise<void> {
    await this.#db.call({ op: "exec", sql, tx: this.#tx });
  }
}

/** Structured clone turns a `Buffer` into a plain `Uint8Array`: make bytea values Buffers again (no copy). */
function withBuffers(result: unknown): unknown {
  const rows = (result as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) return result;
  for (const row of rows as Array<Record<string, unknown>>) {
    for (const key in row) row[key] = toBuffers(row[key]);
  }
  return result;
}

function toBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  // Only bytea[] needs a new array; text[], int8[] and JSON arrays are returned as they came.
  if (Array.isArray(value) && value.some((item) => item instanceof Uint8Array || Array.isArray(item))) return value.map(toBuffers);
  return value;
}

/** The thread's error as an `Error` with the same message and fields (`code` is the SQLSTATE). */
function deserializeError(fields: Record<string, unknown>): Error {
  const error = new Error(String(fields.message ?? "database error"));
  const { stack, ...rest } = fields;
  Object.assign(error, rest);
  if (typeof stack === "string") error.stack = `${stack}\n    --- in the gateway's thread ---\n${new Error().stack?.split("\n").slice(1).join("\n") ?? ""}`;
  return error;
}
