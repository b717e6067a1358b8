import { AsyncLocalStorage } from "node:async_hooks";
import fs from "node:fs";
import path from "node:path";
import { assertChannel, runStatements, type Database, type Queryable, type QueryResult, type Row, type Statement } from "./database";
import { DatabaseOpenError, QueryOutsideTransactionError } from "./errors";
import { copyOnPglite, type PgliteFileSystem } from "./pgliteCopy";
import { openPgliteInWorker } from "./pgliteInWorker";
import { TEXT_PARSERS } from "./typeParsers";

// ESM-only package: loaded through require(esm) on Node 20.19+; types taken from the same load.
const loadPglite = () => import("@electric-sql/pglite");
type PGliteType = InstanceType<Awaited<ReturnType<typeof loadPglite>>["PGlite"]>;
type Transaction = Parameters<Parameters<PGliteType["transaction"]>[0]>[0];

export type OpenPgliteParameters = {
  /** Data directory (created if missing); null: in memory, gone at close. */
  dir: string | null;
  /**
   * "main" (default): PGlite runs on the caller's thread. "worker": on a worker thread of its own,
   * so that PostgreSQL's work runs beside the caller's (the gateway under write load).
   */
  thread?: "main" | "worker" | undefined;
};

/**
 * The embedded engine: PostgreSQL compiled to WASM, one connection, files in `dir`. Only one
 * process may open a directory at a time (the gateway holds the data dir).
 */
export async function openPglite(parameters: OpenPgliteParameters): Promise<Database> {
  let release = () => {};
  if (parameters.dir !== null) {
    fs.mkdirSync(parameters.dir, { recursive: true });
    release = lockDirectory(parameters.dir);
  }
  if (parameters.thread === "worker") return openPgliteInWorker(parameters.dir, release);
  let pglite: PGliteType;
  try {
    const { PGlite } = await loadPglite();
    pglite = new PGlite({ ...(parameters.dir === null ? {} : { dataDir: parameters.dir }), parsers: TEXT_PARSERS });
    await pglite.waitReady;
  } catch (error) {
    release();
    throw new DatabaseOpenError(`Cannot open the embedded database${parameters.dir ? ` at ${parameters.dir}` : ""}`, { cause: error });
  }
  return new PgliteDatabase(pglite, release);
}

/** The lock files of the databases this process has open: removed when it exits, by one listener however many are open. */
const heldLocks = new Set<string>();
function removeHeldLocks(): void {
  for (const lockFile of heldLocks) fs.rmSync(lockFile, { force: true });
  heldLocks.clear();
}

/**
 * PGlite does not stop a second process from opening the same directory, and two writers
 * corrupt it. `<dir>.lock` holds the owner's pid; a lock whose process is gone is taken over.
 */
function lockDirectory(dir: string): () => void {
  const lockFile = `${path.resolve(dir)}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: "wx" });
      heldLocks.add(lockFile);
      if (heldLocks.size === 1) process.once("exit", removeHeldLocks);
      return () => {
        if (!heldLocks.delete(lockFile)) return;
        if (heldLocks.size === 0) process.removeListener("exit", removeHeldLocks);
        fs.rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new DatabaseOpenError(`Cannot lock ${dir}`, { cause: error });
      const owner = Number.parseInt(fs.readFileSync(lockFile, "utf8"), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new DatabaseOpenError(`The embedded database ${dir} is in use by process ${owner}`, {
          metaMessages: ["Another gateway runs on this data dir: stop it, or give this one its own FIRSTMILE_DATA_DIR."],
        });
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new DatabaseOpenError(`Cannot lock ${dir}: ${lockFile} keeps reappearing`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

class PgliteDatabase implements Database {
  readonly engine = "pglite" as const;
  readonly #pglite: PGliteType;
  /** Set while a transaction callback runs, to catch queries on the database itself. */
  readonly #inTransaction = new AsyncLocalStorage<true>();
  readonly #release: () => void;

  constructor(pglite: PGliteType, release: () => void) {
    this.#pglite = pglite;
    this.#release = release;
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    this.#assertOutsideTransaction();
    return toResult<T>(await this.#pglite.query<T>(sql, params as unknown[]));
  }

  async exec(sql: string): Promise<void> {
    this.#assertOutsideTransaction();
    await this.#pglite.exec(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertOutsideTransaction();
    return this.#pglite.transaction((tx) => this.#inTransaction.run(true, () => fn(new PgliteTransaction(tx, this.#pglite.Module.FS))));
  }

  batch(statements: readonly Statement[]): Promise<QueryResult[]> {
    return this.transaction((tx) => runStatements(tx, statements, (sql, rows) => (tx as PgliteTransaction).copy(sql, rows)));
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    assertChannel(channel);
    const unlisten = await this.#pglite.listen(channel, onNotify);
    return () => unlisten();
  }

  async close(): Promise<void> {
    try {
      if (!this.#pglite.closed) await this.#pglite.close();
    } finally {
      this.#release();
    }
  }

  #assertOutsideTransaction(): void {
    if (this.#inTransaction.getStore()) throw new QueryOutsideTransactionError();
  }
}

class PgliteTransaction implements Queryable {
  readonly engine = "pglite" as const;
  readonly #tx: Transaction;
  readonly #fs: PgliteFileSystem;

  constructor(tx: Transaction, fs: PgliteFileSystem) {
    this.#tx = tx;
    this.#fs = fs;
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return toResult<T>(await this.#tx.query<T>(sql, params as unknown[]));
  }

  async exec(sql: string): Promise<void> {
    await this.#tx.exec(sql);
  }

  /** A `COPY ... FROM STDIN` with its rows: PGlite reads them from a file of its in-memory file system. */
  async copy(sql: string, rows: Uint8Array<ArrayBuffer>): Promise<QueryResult> {
    return toResult(await copyOnPglite(this.#tx, this.#fs, sql, rows));
  }
}

function toResult<T extends Row>(result: { rows: T[]; affectedRows?: number }): QueryResult<T> {
  return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
}
