import type { Database, Queryable } from "../../db";
import { readMigrations, type Migration } from "../../db/migrate";
import { qualified, type ReadModelSchema } from "./schemaName";
import { LOT_EVENTS, LOT_EVIDENCE, LOTS, type TableSpec } from "./tables";

/** The first line that marks a migration as read-model DDL (replayed into a rebuild's schema). */
export const READ_MODEL_MARKER = "-- firstmile:read-model";

/** Every read-model table with the columns that order its rows (its primary key). */
export const READ_MODEL_TABLES: Readonly<Record<string, readonly string[]>> = {
  indexer_checkpoint: ["name"],
  members: ["member_id"],
  accounts: ["address"],
  forms: ["form"],
  yield_bounds: ["input_form", "output_form"],
  lots: ["lot_id"],
  lot_events: ["lot_id", "seq"],
  lot_edges: ["parent_id", "child_id"],
  handovers: ["lot_id", "offer_seq"],
  lot_evidence: ["lot_id", "seq"],
  lot_ingredients: ["lot_id", "seq"],
  schemes: ["scheme"],
  accreditations: ["scheme", "member_id"],
  attestations: ["uid"],
  lot_claims: ["lot_id", "scheme"],
  mass_balance_moves: ["position"],
  mass_balance_credits: ["member_id", "scheme", "form"],
  premium_commitments: ["commitment_id"],
  payout_runs: ["root"],
  confirmation_batches: ["batch_root"],
  dds_references: ["position"],
};

/** The migrations that hold read-model tables, in order. */
export function readModelMigrations(all: readonly Migration[] = readMigrations()): Migration[] {
  return all.filter((migration) => migration.sql.startsWith(READ_MODEL_MARKER));
}

/**
 * Creates `schema` (dropping a leftover of the same name) with the read-model tables, by running
 * the read-model migrations with `schema` first on the search path.
 */
export async function createReadModelSchema(db: Database, schema: ReadModelSchema, migrations: readonly Migration[] = readModelMigrations()): Promise<void> {
  const name = qualified(schema, "x").split(".")[0]!;
  await db.transaction(async (tx) => {
    await tx.exec(`drop schema if exists ${name} cascade; create schema ${name};`);
    await tx.exec(`set local search_path to ${name}`);
    for (const migration of migrations) await tx.exec(migration.sql);
  });
}

/**
 * Drops the secondary indexes of the read model in `schema` (every index that is neither a primary
 * key nor unique: those check rows and serve the upserts) and returns their definitions, to be
 * created again by `swapReadModel` once the tables are full. A rebuild loads every row once: an
 * index built over the loaded rows costs a fraction of keeping it up to date row by row.
 */
export async function dropSecondaryIndexes(db: Database, schema: ReadModelSchema): Promise<string[]> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ name: string; definition: string }>(
      `select c.relname as name, pg_get_indexdef(i.indexrelid) as definition
         from pg_index i
         join pg_class c on c.oid = i.indexrelid
         join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and not i.indisunique and not i.indisprimary and not i.indisexclusion
        order by c.relname`,
      [schema],
    );
    for (const row of rows) await tx.exec(`drop index ${qualified(schema, row.name)}`);
    return rows.map((row) => row.definition);
  });
}

/**
 * Replaces the live read model (`public`) by the one built in `schema`, in one transaction:
 * readers see the old tables or the new ones, never a mix. A follower running meanwhile finds the
 * checkpoint moved and reloads it. `indexes` (from `dropSecondaryIndexes`) are created first, in
 * the same transaction: the read model and its checkpoint go live with all their indexes or not
 * at all (a crash before the commit leaves the live tables as they were and the build schema
 * behind, which the next rebuild drops).
 */
export async function swapReadModel(db: Database, schema: ReadModelSchema, indexes: readonly string[] = []): Promise<string[]> {
  const name = qualified(schema, "x").split(".")[0]!;
  return db.transaction(async (tx) => {
    for (const definition of indexes) await tx.exec(definition);
    const { rows } = await tx.query<{ tablename: string }>("select tablename from pg_tables where schemaname = $1 order by tablename", [schema]);
    const tables = rows.map((row) => row.tablename);
    for (const table of tables) {
      await tx.exec(`drop table if exists ${qualified("public", table)}; alter table ${qualified(schema, table)} set schema public;`);
    }
    await tx.exec(`drop schema ${name}`);
    return tables;
  });
}

/**
 * Columns no query filters, joins, groups or sorts on, each holding a hash or a chain position
 * that differs on every row: statistics on them would tell the planner nothing, and computing
 * them (sorting a sample of 66-character strings) was a third of the time of ANALYZE of lots and
 * lot_events. Their tables are analyzed on their other columns.
 */
const WITHOUT_STATISTICS: ReadonlyArray<[TableSpec<never>, readonly string[]]> = [
  [LOTS as TableSpec<never>, ["head", "created_tx", "created_position", "consumed_position", "updated_position"]],
  [LOT_EVENTS as TableSpec<never>, ["head", "tx_hash"]],
  [LOT_EVIDENCE as TableSpec<never>, ["tx_hash"]],
];
const ANALYZED_COLUMNS = new Map(WITHOUT_STATISTICS.map(([spec, skipped]) => [spec.table, spec.columns.map((column) => column.name).filter((name) => !skipped.includes(name))]));

/**
 * Rows sampled per table are 300 times this. The planner's choices here are between an index and
 * a scan for lookups by lot, member, form or digest, which twenty histogram buckets and twenty
 * common values settle as well as PostgreSQL's default hundred. ANALYZE of a read model of 100k
 * events took 0.9-1.1 s at 100 and 0.21-0.27 s at 20, on the same thread as the indexer's writes.
 */
export const READ_MODEL_STATISTICS_TARGET = 20;

/**
 * Refreshes the planner's statistics of every read-model table. One query string, so one implicit
 * transaction: the statistics target (`set local`) ends with it, no other user of the connection
 * sees it, and a failure rolls all of it back without leaving a transaction open.
 */
export async function analyzeReadModel(db: Database, schema: ReadModelSchema): Promise<void> {
  const statements = Object.keys(READ_MODEL_TABLES).map((table) => {
    const columns = ANALYZED_COLUMNS.get(table);
    return `analyze ${qualified(schema, table)}${columns ? ` (${columns.join(", ")})` : ""};`;
  });
  await db.exec([`set local default_statistics_target = ${READ_MODEL_STATISTICS_TARGET};`, ...statements].join("\n"));
}

/**
 * Every read-model table's rows in primary-key order, as text: two read models are the same
 * exactly when their dumps are equal (rebuild = incremental, restart after a kill = clean run).
 */
export async function dumpReadModel(q: Queryable, schema: ReadModelSchema = "public"): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const [table, key] of Object.entries(READ_MODEL_TABLES)) {
    const { rows } = await q.query<{ row: string }>(`select t::text as row from ${qualified(schema, table)} t order by ${key.join(", ")}`);
    dump[table] = rows.map((row) => row.row);
  }
  return dump;
}
