import { createHash } from "node:crypto";
import type { RecordSealer } from "../chain/keystore";
import type { Database } from "../db";
import { BaseError } from "../errors";
import type { EvidenceStore } from "../evidence";
import type { DeliveryCapacity, PlotRegistry } from "../origins";
import type { ImportKind } from "./columns";
import { importDeliveries } from "./importDeliveries";
import { importFarmers } from "./importFarmers";
import { importPlots } from "./importPlots";
import { readSheet, type ImportIssue, type Sheet, type SheetRow } from "./readSheet";
import { rowHash } from "./rowReader";

/**
 * A spreadsheet of farmers, plots or deliveries, imported for one cooperative.
 *
 * Every row is read and checked as the API would check it (and against the rows before it in the
 * file); a dry run stops there and writes nothing. A real run writes the good rows, in chunks,
 * and remembers each by the hash of its content: the same row again (the same file twice) is
 * "unchanged", never a second farmer, plot or delivery. Deliveries become `lots.mintBatch`
 * requests in the relay outbox, 500 to a request.
 */
export type ImportContext = {
  db: Database;
  plots: PlotRegistry;
  capacity: DeliveryCapacity;
  /** Seals farmers' personal fields (the keystore's record sealer). */
  sealer: RecordSealer;
  /** Holds the weigh-ticket documents deliveries carry as metadata. */
  evidence: EvidenceStore;
  /** Attempts a delivery batch's request gets in the relay. */
  maxAttempts: number;
  maxBytes: number;
  maxRows?: number | undefined;
  clock?: (() => Date) | undefined;
};

export type ImportOptions = {
  memberId: bigint;
  kind: ImportKind;
  file: Uint8Array;
  dryRun: boolean;
  /** Rows checked (or written) so far, of all: for a progress bar. */
  onProgress?: ((done: number, total: number) => void) | undefined;
};

/** What became of a row: created (or, in a dry run, valid: would be created), unchanged, refused. */
export type ImportRowResult = {
  row: number;
  status: "created" | "valid" | "unchanged" | "refused";
  /** The farmer, plot or relay request it became (or became before). */
  ref?: string | undefined;
  /** A farmer's card code; a plot's commitment. */
  code?: string | undefined;
  commitment?: string | undefined;
};

export type ImportReport = {
  kind: ImportKind;
  dryRun: boolean;
  format: "csv" | "xlsx";
  rows: number;
  created: number;
  valid: number;
  unchanged: number;
  refused: number;
  /** Deliveries: the mint-batch requests written to the outbox. */
  requests: string[];
  issues: ImportIssue[];
  results: ImportRowResult[];
};

/** The member cannot import this kind at all (no custodial account for deliveries, say): nothing was read further. */
export class ImportRefusedError extends BaseError {
  override name = "ImportRefusedError";
}

/** One row on its way through an import: its sheet row, its content hash, and what became of it. */
export type Pending<T> = { sheet: SheetRow; hash: Buffer; value: T };

/** A kind's steps after the common ones: check the rows read, then (not in a dry run) write them. */
export type KindImporter = (context: ImportContext, state: ImportState) => Promise<void>;

export class ImportState {
  readonly results = new Map<number, ImportRowResult>();
  readonly issues: ImportIssue[] = [];
  readonly requests: string[] = [];
  #done = 0;

  constructor(
    readonly options: ImportOptions,
    readonly sheet: Sheet,
    /** Rows not yet decided, in order, with their content hash. */
    readonly rows: Array<{ sheet: SheetRow; hash: Buffer }>,
  ) {}

  refuse(row: number, issues: ImportIssue[]): void {
    this.issues.push(...issues);
    this.results.set(row, { row, status: "refused" });
  }

  settle(result: ImportRowResult): void {
    this.results.set(result.row, result);
  }

  /** `n` more rows decided: reports progress. */
  advance(n: number): void {
    this.#done += n;
    this.options.onProgress?.(this.#done, this.sheet.rows.length);
  }
}

const IMPORTERS: Record<ImportKind, KindImporter> = { farmers: importFarmers, plots: importPlots, deliveries: importDeliveries };

export async function runImport(context: ImportContext, options: ImportOptions): Promise<ImportReport> {
  const sheet = await readSheet(options.file, options.kind, { maxBytes: context.maxBytes, maxRows: context.maxRows });
  const state = new ImportState(options, sheet, []);

  // Rows with a bad cell (a formula, an error value) are refused as they are.
  const badRows = new Set(sheet.issues.map((issue) => issue.row));
  for (const row of badRows) state.refuse(row, sheet.issues.filter((issue) => issue.row === row));
  const firstOfHash = new Map<string, number>();
  const candidates: Array<{ sheet: SheetRow; hash: Buffer }> = [];
  for (const row of sheet.rows) {
    if (badRows.has(row.row)) continue;
    const hash = rowHash(options.kind, row);
    const earlier = firstOfHash.get(hash.toString("hex"));
    if (earlier !== undefined) {
      state.refuse(row.row, [{ row: row.row, column: null, reason: `the same as row ${earlier}` }]);
      continue;
    }
    firstOfHash.set(hash.toString("hex"), row.row);
    candidates.push({ sheet: row, hash });
  }
  state.advance(sheet.rows.length - candidates.length);

  // Rows imported before (the same content): unchanged, with what they became.
  const known = await knownRows(context.db, options.memberId, options.kind, candidates.map((c) => c.hash));
  for (const candidate of candidates) {
    const ref = known.get(candidate.hash.toString("hex"));
    if (ref === undefined) state.rows.push(candidate);
    else state.settle({ row: candidate.sheet.row, status: "unchanged", ref });
  }
  state.advance(candidates.length - state.rows.length);

  await IMPORTERS[options.kind](context, state);

  const results = [...state.results.values()].sort((a, b) => a.row - b.row);
  const count = (status: ImportRowResult["status"]) => results.filter((result) => result.status === status).length;
  return {
    kind: options.kind,
    dryRun: options.dryRun,
    format: sheet.format,
    rows: sheet.rows.length,
    created: count("created"),
    valid: count("valid"),
    unchanged: count("unchanged"),
    refused: count("refused"),
    requests: state.requests,
    issues: state.issues.sort((a, b) => a.row - b.row),
    results,
  };
}

async function knownRows(db: Database, memberId: bigint, kind: ImportKind, hashes: readonly Buffer[]): Promise<Map<string, string>> {
  const known = new Map<string, string>();
  if (hashes.length === 0) return known;
  const { rows } = await db.query<{ hash: string; created_ref: string }>(
    `select encode(content_hash, 'hex') as hash, created_ref from import_rows
      where member_id = $1 and kind = $2 and content_hash in (select decode(h, 'hex') from unnest($3::text[]) as h)`,
    [memberId, kind, hashes.map((hash) => hash.toString("hex"))],
  );
  for (const row of rows) known.set(row.hash, row.created_ref);
  return known;
}

/** Remembers rows written (their content hash and what they became), in the caller's transaction or not. */
export async function rememberRows(db: Pick<Database, "query">, memberId: bigint, kind: ImportKind, rows: ReadonlyArray<{ hash: Buffer; ref: string }>): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `insert into import_rows (member_id, kind, content_hash, created_ref)
     select $1, $2, decode(r.hash, 'hex'), r.ref from jsonb_to_recordset($3::jsonb) as r(hash text, ref text)
     on conflict do nothing`,
    [memberId, kind, JSON.stringify(rows.map((row) => ({ hash: row.hash.toString("hex"), ref: row.ref })))],
  );
}

/** The idempotency key of a batch of rows: its rows' hashes, in order. */
export function batchKey(kind: ImportKind, hashes: readonly Buffer[]): string {
  const digest = createHash("sha256");
  for (const hash of hashes) digest.update(hash);
  return `import:${kind}:${digest.digest("hex")}`;
}

/** Splits into chunks of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
