import type { Statement } from "../../db";
import type { Checkpoint } from "../checkpoint";
import type { RowBatch } from "./rows";
import { qualified, type ReadModelSchema } from "./schemaName";
import {
  ACCOUNTS,
  ACCREDITATIONS,
  ATTESTATIONS,
  DDS_REFERENCES,
  FORMS,
  HANDOVERS,
  LOT_CLAIMS,
  LOT_EDGES,
  LOT_EVENTS,
  LOT_EVIDENCE,
  LOT_INGREDIENTS,
  LOTS,
  MASS_BALANCE_CREDITS,
  PAYOUT_RUNS,
  CONFIRMATION_BATCHES,
  PREMIUM_COMMITMENTS,
  MASS_BALANCE_MOVES,
  MEMBERS,
  SCHEMES,
  YIELD_BOUNDS,
  type Column,
  type TableSpec,
} from "./tables";

/** Rows per statement: one array parameter per column, so the count is bounded only by memory. */
const ROWS_PER_STATEMENT = 10_000;

export type WriteRowBatchOptions = {
  /**
   * The checkpoint the batch follows (null: the first batch). Lots and handovers created after it
   * are new rows, inserted; the others already exist and are upserted. A plain insert skips the
   * conflict check, and a row that should not exist yet fails the batch loudly.
   */
  after: Checkpoint | null;
};

/**
 * The statements that write a projected batch, to run in the batch that also moves the
 * checkpoint, never one per event: new rows (the tables without a key, and lots and handovers
 * created in the batch) go in one `COPY` per table, rows that may exist already in one upsert per
 * table (`insert ... select * from unnest($1::type[], ...) on conflict ... do update`). Each
 * upsert column goes as one array literal built here (`{1,2}`, `{"0xab",NULL}`): both drivers
 * would otherwise serialize the arrays element by element, escaping every string with regular
 * expressions, which cost more than PostgreSQL's insert. COPY's rows go as bytes: no parameter
 * for the driver to scan or escape, and the engine's cheapest way in (no array to build and
 * unnest).
 */
export function rowBatchStatements(schema: ReadModelSchema, batch: RowBatch, options: WriteRowBatchOptions = { after: null }): Statement[] {
  const isNew = (position: Checkpoint) => options.after === null || position > options.after;
  const [newLots, changedLots] = partition(batch.lots.values(), (lot) => isNew(lot.createdPosition));
  const [newHandovers, closedHandovers] = partition(batch.handovers.values(), (handover) => isNew(handover.offeredPosition));
  return [
    ...rowStatements(schema, MEMBERS, [...batch.members.values()]),
    ...rowStatements(schema, ACCOUNTS, [...batch.accounts.values()]),
    ...rowStatements(schema, FORMS, [...batch.forms.values()]),
    ...rowStatements(schema, YIELD_BOUNDS, [...batch.yieldBounds.values()]),
    ...rowStatements(schema, LOTS, newLots, { insertOnly: true }),
    ...rowStatements(schema, LOTS, changedLots),
    ...rowStatements(schema, HANDOVERS, newHandovers, { insertOnly: true }),
    ...rowStatements(schema, HANDOVERS, closedHandovers),
    ...rowStatements(schema, LOT_EVENTS, batch.lotEvents),
    ...rowStatements(schema, LOT_EDGES, batch.lotEdges),
    ...rowStatements(schema, LOT_EVIDENCE, batch.lotEvidence),
    ...rowStatements(schema, LOT_INGREDIENTS, batch.lotIngredients),
    ...rowStatements(schema, SCHEMES, [...batch.schemes.values()]),
    ...rowStatements(schema, ACCREDITATIONS, [...batch.accreditations.values()]),
    ...rowStatements(schema, ATTESTATIONS, [...batch.attestations.values()]),
    ...rowStatements(schema, LOT_CLAIMS, [...batch.lotClaims.values()]),
    ...rowStatements(schema, MASS_BALANCE_MOVES, batch.massBalanceMoves),
    ...rowStatements(schema, MASS_BALANCE_CREDITS, [...batch.massBalanceCredits.values()]),
    ...rowStatements(schema, PREMIUM_COMMITMENTS, batch.premiumCommitments),
    ...rowStatements(schema, PAYOUT_RUNS, batch.payoutRuns),
    ...rowStatements(schema, CONFIRMATION_BATCHES, batch.confirmationBatches),
    ...rowStatements(schema, DDS_REFERENCES, batch.ddsReferences),
  ];
}

function partition<T>(items: Iterable<T>, test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}

/**
 * `insertOnly`: the rows are new (tables with a key); tables without a key only ever get new rows.
 * New rows go in one COPY, without the upsert's conflict check (a row that exists already fails
 * the batch, as an insert would); the others are upserted. None for no rows.
 */
export function rowStatements<R>(schema: ReadModelSchema, spec: TableSpec<R>, rows: readonly R[], options: { insertOnly?: boolean } = {}): Statement[] {
  if (rows.length === 0) return [];
  if (options.insertOnly === true || !spec.key) return [copyStatement(schema, spec, rows)];
  const statements: Statement[] = [];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    statements.push({ sql: upsertSql(schema, spec), params: spec.columns.map((column) => arrayLiteral(chunk, column)) });
  }
  return statements;
}

/** Types whose text form never needs quoting inside an array literal (digits, sign, point, t/f). */
const BARE_TYPES = new Set(["int2", "int4", "int8", "numeric", "bool"]);

/**
 * One column of `rows` as a PostgreSQL array literal. Numbers and booleans go bare; every other
 * value is double-quoted, with `"` and `\` escaped (the only characters special inside quotes).
 */
export function arrayLiteral<R>(rows: readonly R[], column: Column<R>): string {
  const bare = BARE_TYPES.has(column.type);
  const parts = new Array<string>(rows.length);
  for (let index = 0; index < rows.length; index++) {
    const value = column.value(rows[index]!);
    if (value === null || value === undefined) parts[index] = "NULL";
    else if (bare) parts[index] = typeof value === "boolean" ? (value ? "t" : "f") : String(value);
    else {
      const text = String(value);
      parts[index] = text.includes('"') || text.includes("\\") ? `"${text.replace(/["\\]/g, "\\$&")}"` : `"${text}"`;
    }
  }
  return `{${parts.join(",")}}`;
}

/** One `COPY table (columns) FROM STDIN` with `rows`. */
export function copyStatement<R>(schema: ReadModelSchema, spec: TableSpec<R>, rows: readonly R[]): Statement {
  return { sql: `copy ${qualified(schema, spec.table)} (${spec.columns.map((column) => column.name).join(", ")}) from stdin`, copyRows: encoder.encode(copyText(rows, spec.columns)) };
}

const encoder = new TextEncoder();
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * `rows` in COPY's text format: a line per row, a tab between columns, `\N` for NULL, and in a
 * value the backslash, tab, newline and carriage return escaped (nothing else is special; an
 * empty string stays empty, unlike NULL). Numbers and booleans go bare (`t`/`f`).
 */
export function copyText<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  const bare = columns.map((column) => BARE_TYPES.has(column.type));
  const last = columns.length - 1;
  let text = "";
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    for (let at = 0; at <= last; at++) {
      const value = columns[at]!.value(row);
      if (value === null || value === undefined) text += "\\N";
      else if (bare[at]) text += typeof value === "boolean" ? (value ? "t" : "f") : String(value);
      else {
        const string = String(value);
        text += COPY_SPECIAL.test(string) ? string.replace(/[\\\t\n\r]/g, (special) => COPY_ESCAPES[special]!) : string;
      }
      text += at === last ? "\n" : "\t";
    }
  }
  return text;
}

const statements = new Map<string, string>();

function upsertSql<R>(schema: ReadModelSchema, spec: TableSpec<R>): string {
  const cacheKey = `${schema}.${spec.table}`;
  let sql = statements.get(cacheKey);
  if (sql) return sql;
  const names = spec.columns.map((column) => column.name);
  const arrays = spec.columns.map((column, index) => `$${index + 1}::${column.type}[]`);
  const updates = names.filter((name) => !spec.key!.includes(name)).map((name) => `${name} = excluded.${name}`);
  sql = `insert into ${qualified(schema, spec.table)} (${names.join(", ")}) select * from unnest(${arrays.join(", ")}) on conflict (${spec.key!.join(", ")}) do update set ${updates.join(", ")}`;
  statements.set(cacheKey, sql);
  return sql;
}
