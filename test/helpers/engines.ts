import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate } from "../../src/db/migrate";
import { openPglite } from "../../src/db/pglite";
import { openPostgres } from "../../src/db/postgres";
import type { Database, Engine } from "../../src/db/database";
import { connectPostgres, findPostgresBinaries, startPostgres, type PostgresServer } from "./postgres";
import { atRunEnd } from "./runEnd";
import { sharedTemplate } from "./sharedTemplate";

/**
 * Runs one SQL suite on every engine: PGlite always (also on its own worker thread with
 * `pgliteWorker`), PostgreSQL when its binaries are installed.
 * Without them the PostgreSQL half is not silently dropped: under CI (CI=true) it fails; locally
 * it prints a warning and is left out.
 *
 *   describeEachEngine("outbox", (engine) => {
 *     let db: Database;
 *     before(async () => { db = await engine.openEmpty(); });
 *     after(() => db.close());
 *   });
 */
export type EngineUnderTest = {
  name: Engine;
  /** A new, empty database on this engine, for this suite alone. */
  openEmpty(): Promise<Database>;
  /** A new database with every migration applied (`openEmpty` and `migrate`; on PGlite a copy of a migrated template). */
  openMigrated(): Promise<Database>;
  /** PostgreSQL only: the URL of the database `openEmpty` last created (to open more connections). */
  lastUrl(): string | null;
};

const POSTGRES_BIN = findPostgresBinaries();
const IN_CI = process.env.CI === "true" || process.env.CI === "1";
let warned = false;

export function describeEachEngine(title: string, body: (engine: EngineUnderTest) => void, options: { pgliteWorker?: boolean } = {}): void {
  describe(`${title} [pglite]`, () => body(pgliteEngine));
  // The gateway's default: PGlite on a worker thread of its own, behind the same interface.
  if (options.pgliteWorker) describe(`${title} [pglite, worker thread]`, () => body(pgliteWorkerEngine));
  if (POSTGRES_BIN) {
    describe(`${title} [postgres]`, () => body(postgresEngine));
  } else if (IN_CI) {
    describe(`${title} [postgres]`, () => {
      it("needs the PostgreSQL server binaries in CI", () => {
        throw new Error("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package (apt-get install postgresql)");
      });
    });
  } else if (!warned) {
    warned = true;
    atRunEnd(() => console.warn("\n!!! The SQL suites ran on PGlite only: PostgreSQL binaries not found (apt-get install postgresql).\n"));
    console.warn(
      "\n!!! PostgreSQL binaries not found (/usr/lib/postgresql/*/bin/initdb): SQL suites run on PGlite only." +
        "\n!!! Install them with `apt-get install postgresql`; under CI=true this is a failure.\n",
    );
  }
}

// PGlite: initdb once per test run into a template dir, then copy it per suite (~1 s instead of ~4 s).
const pgliteDirs: string[] = [];
atRunEnd(() => {
  for (const dir of pgliteDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Fills `dir` (new or empty) with an initialised, empty PGlite data directory. */
export async function copyPgliteTemplate(dir: string): Promise<void> {
  const template = await sharedTemplate("pglite", async (templateDir) => {
    const db = await openPglite({ dir: path.join(templateDir, "pgdata") });
    await db.close();
    return null;
  });
  fs.cpSync(path.join(template.dir, "pgdata"), dir, { recursive: true });
}

/**
 * Fills `dir` (new or empty) with a PGlite data directory that has every migration in
 * src/db/migrations applied, as a gateway's first start leaves it: applying them costs about a
 * second of CPU (PostgreSQL in WASM) each time, copying the result a fraction of that. Built once
 * per run from the files as they are, so a new migration is in it. A gateway started on the copy
 * finds nothing to apply; the suites of the migrations themselves (test/db) start from the empty
 * template instead.
 */
export async function copyMigratedPglite(dir: string): Promise<void> {
  const template = await sharedTemplate("pglite-migrated", async (templateDir) => {
    const pgdata = path.join(templateDir, "pgdata");
    await copyPgliteTemplate(pgdata);
    const db = await openPglite({ dir: pgdata });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    return null;
  });
  fs.cpSync(path.join(template.dir, "pgdata"), dir, { recursive: true });
}

/** PGlite from a copy of a template, on the caller's thread or on a worker thread of its own. */
function pgliteOn(thread: "main" | "worker"): EngineUnderTest {
  const open = async (copy: (dir: string) => Promise<void>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-pglite-"));
    pgliteDirs.push(dir);
    await copy(dir);
    return openPglite({ dir, thread });
  };
  return {
    name: "pglite",
    openEmpty: () => open(copyPgliteTemplate),
    openMigrated: () => open(copyMigratedPglite),
    lastUrl: () => null,
  };
}
const pgliteEngine = pgliteOn("main");
const pgliteWorkerEngine = pgliteOn("worker");

/**
 * A new, empty PGlite database (a copy of the run's template: no initdb of its own), on the
 * caller's thread or a worker thread; its files are removed after the run.
 */
export function openEmptyPglite(thread: "main" | "worker" = "main"): Promise<Database> {
  return (thread === "main" ? pgliteEngine : pgliteWorkerEngine).openEmpty();
}

/** A new PGlite database with every migration applied (a copy of the run's migrated template). */
export function openMigratedPglite(thread: "main" | "worker" = "main"): Promise<Database> {
  return (thread === "main" ? pgliteEngine : pgliteWorkerEngine).openMigrated();
}

// PostgreSQL: one server per test run, a fresh database per suite.
let server: Promise<PostgresServer> | null = null;
let databases = 0;
let lastUrl: string | null = null;

/** The test run's PostgreSQL server, started on first use (needs the binaries); stopped after the run. */
export function sharedPostgres(): Promise<PostgresServer> {
  if (!POSTGRES_BIN) return Promise.reject(new Error("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package"));
  if (!server) {
    server = process.env.FIRSTMILE_TEST_RUN_DIR ? runPostgres(POSTGRES_BIN) : startPostgres(POSTGRES_BIN);
    const started = server;
    atRunEnd(async () => {
      server = null;
      await (await started.catch(() => null))?.stop();
    });
  }
  return server;
}

/**
 * Under `npm test` one server serves every test process of the run: started by the first that
 * needs it, in the run's directory, and stopped by scripts/test.js when the run ends (its data
 * dir is named in the template's value).
 */
async function runPostgres(bin: string): Promise<PostgresServer> {
  const { value } = await sharedTemplate("postgres", async () => {
    const serverDir = path.join(process.env.FIRSTMILE_TEST_RUN_DIR!, "postgres-server");
    const started = await startPostgres(bin, { detachedIn: serverDir });
    return { port: started.port, pgCtl: path.join(bin, "pg_ctl"), dataDir: path.join(serverDir, "data") };
  });
  return connectPostgres(value.port);
}

/** A name for a new database on the shared server, unique in this run. */
export function newDatabaseName(prefix = "test"): string {
  return `${prefix}_${process.pid}_${++databases}`;
}

const postgresEngine: EngineUnderTest = {
  name: "postgres",
  async openEmpty() {
    const running = await sharedPostgres();
    lastUrl = await running.createDatabase(newDatabaseName());
    return openPostgres({ url: lastUrl });
  },
  async openMigrated() {
    const db = await postgresEngine.openEmpty();
    await migrate(db);
    return db;
  },
  lastUrl: () => lastUrl,
};

/** Drops everything in the public schema (tables, schema_migrations): a suite's tests start clean. */
export async function resetSchema(db: Database): Promise<void> {
  await db.exec("drop schema public cascade; create schema public;");
}
