import type { Queryable } from "../../db";
import type { RowBatch } from "./rows";
import { qualified, type ReadModelSchema } from "./schemaName";
import {
  ACCOUNTS,
  ACCREDITATIONS,
  ATTESTATIONS,
  FORMS,
  HANDOVERS,
  LOT_CLAIMS,
  LOT_EDGES,
  LOT_EVENTS,
  LOT_EVIDENCE,
  LOTS,
  MASS_BALANCE_CREDITS,
  MASS_BALANCE_MOVES,
  MEMBERS,
  SCHEMES,
  YIELD_BOUNDS,
  type TableSpec,
} from "./tables";

/** Rows per statement: one array parameter per column, so the count is bounded only by memory. */
const ROWS_PER_STATEMENT = 10_000;

/**
 * Writes a projected batch with one multi-row statement per table (`insert ... select * from
 * unnest($1::type[], ...)`), never a statement per event. Run it inside the transaction that also
 * moves the checkpoint.
 */
export async function writeRowBatch(tx: Queryable, schema: ReadModelSchema, batch: RowBatch): Promise<void> {
  await writeRows(tx, schema, MEMBERS, [...batch.members.values()]);
  await writeRows(tx, schema, ACCOUNTS, [...batch.accounts.values()]);
  await writeRows(tx, schema, FORMS, [...batch.forms.values()]);
  await writeRows(tx, schema, YIELD_BOUNDS, [...batch.yieldBounds.values()]);
  await writeRows(tx, schema, LOTS, [...batch.lots.values()]);
  await writeRows(tx, schema, HANDOVERS, [...batch.handovers.values()]);
  await writeRows(tx, schema, LOT_EVENTS, batch.lotEvents);
  await writeRows(tx, schema, LOT_EDGES, batch.lotEdges);
  await writeRows(tx, schema, LOT_EVIDENCE, batch.lotEvidence);
  await writeRows(tx, schema, SCHEMES, [...batch.schemes.values()]);
  await writeRows(tx, schema, ACCREDITATIONS, [...batch.accreditations.values()]);
  await writeRows(tx, schema, ATTESTATIONS, [...batch.attestations.values()]);
  await writeRows(tx, schema, LOT_CLAIMS, [...batch.lotClaims.values()]);
  await writeRows(tx, schema, MASS_BALANCE_MOVES, batch.massBalanceMoves);
  await writeRows(tx, schema, MASS_BALANCE_CREDITS, [...batch.massBalanceCredits.values()]);
}

export async function writeRows<R>(tx: Queryable, schema: ReadModelSchema, spec: TableSpec<R>, rows: readonly R[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const params = spec.columns.map((column) => chunk.map((row) => column.value(row)));
    await tx.query(insertSql(schema, spec), params);
  }
}

const statements = new Map<string, string>();

function insertSql<R>(schema: ReadModelSchema, spec: TableSpec<R>): string {
  const cacheKey = `${schema}.${spec.table}`;
  let sql = statements.get(cacheKey);
  if (sql) return sql;
  const names = spec.columns.map((column) => column.name);
  const arrays = spec.columns.map((column, index) => `$${index + 1}::${column.type}[]`);
  sql = `insert into ${qualified(schema, spec.table)} (${names.join(", ")}) select * from unnest(${arrays.join(", ")})`;
  if (spec.key) {
    const updates = names.filter((name) => !spec.key!.includes(name)).map((name) => `${name} = excluded.${name}`);
    sql += ` on conflict (${spec.key.join(", ")}) do update set ${updates.join(", ")}`;
  }
  statements.set(cacheKey, sql);
  return sql;
}
