/**
 * The worker-thread side of `openPglite({ thread: "worker" })`: it owns the PGlite instance and
 * answers the messages of `pgliteInWorker.ts` one by one. PGlite's own locks order them as they
 * would order calls in one thread: a query outside a transaction waits for the open one.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runStatements, type Queryable, type QueryResult, type Row } from "./database";
import { copyOnPglite } from "./pgliteCopy";
import { TEXT_PARSERS } from "./typeParsers";
import type { ThreadReply, ThreadRequest } from "./pgliteThreadProtocol";

const loadPglite = () => import("@electric-sql/pglite");
type PGliteType = InstanceType<Awaited<ReturnType<typeof loadPglite>>["PGlite"]>;
type Transaction = Parameters<Parameters<PGliteType["transaction"]>[0]>[0];

const port = parentPort!;
const { dir } = workerData as { dir: string | null };

let pglite: PGliteType;
/** Open transactions by id: the handle, how to end it, and the promise of its end. */
const transactions = new Map<number, { tx: Transaction; commit: () => void; rollback: (reason: unknown) => void; done: Promise<void> }>();
const listeners = new Map<number, () => Promise<void>>();
const ROLLBACK = Symbol("rollback");

const opened = (async () => {
  const { PGlite } = await loadPglite();
  pglite = new PGlite({ ...(dir === null ? {} : { dataDir: dir }), parsers: TEXT_PARSERS });
  await pglite.waitReady;
})();

port.on("message", (request: ThreadRequest) => {
  handle(request).then(
    (result) => reply({ id: request.id, ok: true, result }),
    (error: unknown) => reply({ id: request.id, ok: false, error: serializeError(error) }),
  );
});

function reply(message: ThreadReply): void {
  port.postMessage(message);
}

async function handle(request: ThreadRequest): Promise<unknown> {
  await opened;
  switch (request.op) {
    case "open":
      return null;
    case "query": {
      const target = request.tx === undefined ? pglite : transactionOf(request.tx);
      return resultOf(await target.query<Row>(request.sql, request.params as unknown[]));
    }
    case "exec":
      await (request.tx === undefined ? pglite : transactionOf(request.tx)).exec(request.sql);
      return null;
    case "batch":
      return batch(request.statements);
    case "begin":
      return begin(request.id);
    case "commit":
    case "rollback":
      return end(request.tx, request.op);
    case "listen": {
      const unlisten = await pglite.listen(request.channel, (payload) => reply({ notify: request.listener, payload }));
      listeners.set(request.listener, unlisten);
      return null;
    }
    case "unlisten": {
      const unlisten = listeners.get(request.listener);
      listeners.delete(request.listener);
      await unlisten?.();
      return null;
    }
    case "close":
      if (!pglite.closed) await pglite.close();
      return null;
  }
}

/** `Database.batch`: the statements in one transaction, here, with no round trip to the caller. */
function batch(statements: Extract<ThreadRequest, { op: "batch" }>["statements"]): Promise<QueryResult[]> {
  // A BatchRowCountError crosses as plain fields; the gateway's side makes it one again.
  return pglite.transaction((tx) => {
    const queryable: Queryable = {
      engine: "pglite",
      query: async <T extends Row>(sql: string, params?: readonly unknown[]) => resultOf<T>(await tx.query<T>(sql, (params ?? []) as unknown[])),
      exec: async (sql) => void (await tx.exec(sql)),
    };
    const copy = async (sql: string, rows: Uint8Array<ArrayBuffer>) => resultOf(await copyOnPglite(tx, pglite.Module.FS, sql, rows));
    return runStatements(queryable, statements, copy);
  });
}

function resultOf<T extends Row>(result: { rows: T[]; affectedRows?: number }): QueryResult<T> {
  return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
}

/** Opens a transaction and answers once it is open; it ends when `commit` or `rollback` arrives. */
function begin(id: number): Promise<null> {
  return new Promise((answer, fail) => {
    let started = false;
    const done = pglite
      .transaction(
        (tx) =>
          new Promise<void>((commit, rollback) => {
            started = true;
            transactions.set(id, { tx, commit: () => commit(), rollback, done });
            answer(null);
          }),
      )
      .then(
        () => undefined,
        (error: unknown) => {
          if (error !== ROLLBACK) throw error;
        },
      )
      .finally(() => transactions.delete(id));
    // A transaction that could not begin answers `begin` with its error; later errors go to the end.
    done.catch((error: unknown) => {
      if (!started) fail(error);
    });
  });
}

/** Commits (or rolls back) an open transaction and answers when PGlite has finished it. */
async function end(id: number, how: "commit" | "rollback"): Promise<null> {
  const open = transactions.get(id);
  if (!open) throw new Error(`no open transaction ${id}`);
  if (how === "commit") open.commit();
  else open.rollback(ROLLBACK);
  await open.done;
  return null;
}

function transactionOf(id: number): Transaction {
  const open = transactions.get(id);
  if (!open) throw new Error(`no open transaction ${id}`);
  return open.tx;
}

/** An error as plain data: its message, name, stack and PostgreSQL fields (code, detail, ...). */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields: Record<string, unknown> = { message: error.message, name: error.name, stack: error.stack };
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ["string", "number", "boolean", "bigint"].includes(typeof value)) fields[key] = value;
  }
  return fields;
}
