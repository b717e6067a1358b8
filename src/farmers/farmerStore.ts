import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { AUDIT_CONSENT, farmerAccess, type FarmerAccess } from "./access";
import { FarmerCodeTakenError, FarmerInputError, FarmerNotFoundError, FarmerReadOnlyError } from "./errors";
import { formatFarmerCode, generateFarmerCode } from "./farmerCode";
import { openField, resealField, sealField, type FieldValue } from "./fieldCipher";
import { FARMER_ID_PATTERN, newRecordId } from "./ids";
import { memberSecret, pseudonymizer } from "./pseudonym";
import type { FarmerCreate, FarmerLanguage, FarmerUpdate, Gender } from "./schemas";

/** A farmer as its cooperative (or an auditing certifier) reads it: every field opened. */
export type Farmer = {
  id: string;
  memberId: bigint;
  pseudonym: string;
  /** Normalised (no hyphen); `formatFarmerCode` prints it. */
  code: string;
  name: string;
  phone: string | null;
  nationalId: string | null;
  gender: Gender | null;
  birthYear: number | null;
  householdSize: number | null;
  femaleHeadedHousehold: boolean | null;
  village: string | null;
  language: FarmerLanguage;
  createdAt: Date;
  updatedAt: Date;
  archivedAt: Date | null;
};

/** Each personal field and the column that holds it sealed. */
export const SEALED_COLUMNS = {
  name: "name_enc",
  phone: "phone_enc",
  nationalId: "national_id_enc",
  gender: "gender_enc",
  birthYear: "birth_year_enc",
  householdSize: "household_size_enc",
  femaleHeadedHousehold: "female_headed_enc",
  village: "village_enc",
} as const;
type PersonalField = keyof typeof SEALED_COLUMNS;
const PERSONAL_FIELDS = Object.keys(SEALED_COLUMNS) as PersonalField[];
const SEALED_LIST = Object.values(SEALED_COLUMNS).join(", ");

type FarmerRow = {
  id: string;
  member_id: bigint;
  pseudonym: string;
  code: string;
  language: FarmerLanguage;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
  cursor: string;
} & Record<(typeof SEALED_COLUMNS)[PersonalField], Buffer | null>;

const SELECT = `select id, member_id, pseudonym, code, language, created_at, updated_at, archived_at,
  created_at::text || '|' || id as cursor, ${SEALED_LIST} from farmers`;

function farmerOf(sealer: RecordSealer, row: FarmerRow): Farmer {
  const field = (name: PersonalField) => openField(sealer, row.id, name, row[SEALED_COLUMNS[name]]);
  return {
    id: row.id,
    memberId: BigInt(row.member_id),
    pseudonym: row.pseudonym,
    code: row.code,
    name: field("name") as string,
    phone: field("phone") as string | null,
    nationalId: field("nationalId") as string | null,
    gender: field("gender") as Gender | null,
    birthYear: field("birthYear") as number | null,
    householdSize: field("householdSize") as number | null,
    femaleHeadedHousehold: field("femaleHeadedHousehold") as boolean | null,
    village: field("village") as string | null,
    language: row.language,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    archivedAt: row.archived_at,
  };
}

export type CreateFarmerParameters = { memberId: bigint; farmer: FarmerCreate; id?: string | undefined };

/**
 * Registers a farmer for a cooperative: a new opaque id, the pseudonym under the cooperative's
 * key, the card code given (checked by the schema) or a new one, and each personal field sealed.
 *
 * @throws {FarmerCodeTakenError} the code given is printed for another farmer.
 */
export async function createFarmer(db: Queryable, sealer: RecordSealer, { memberId, farmer, id }: CreateFarmerParameters): Promise<Farmer> {
  const { created, codeTaken } = await createFarmers(db, sealer, { memberId, farmers: [farmer], ids: [id] });
  if (codeTaken.length > 0) throw new FarmerCodeTakenError(`card code ${formatFarmerCode(farmer.code!)} is already printed for another farmer`);
  return created[0]!;
}

export type CreateFarmersParameters = {
  memberId: bigint;
  farmers: readonly FarmerCreate[];
  /** Ids chosen offline by a field agent's phone (docs/field-app.md), by index; otherwise new ones. */
  ids?: readonly (string | undefined)[] | undefined;
};

export type CreateFarmersReturnType = {
  /** The farmers registered, in input order (those refused left out). */
  created: Farmer[];
  /** Indices of `farmers` not registered because the code given is printed for another farmer (or twice in `farmers`). */
  codeTaken: number[];
};

/** Rows per insert statement: 12 parameters each, well under PostgreSQL's 65,535. */
const INSERT_CHUNK = 500;

/**
 * Registers many farmers of one cooperative at once (bulk imports): the cooperative's secret read
 * once, one insert statement per 500 farmers. A farmer whose given code is taken is left out and
 * named in `codeTaken`; a generated code that meets a printed one is drawn again.
 */
export async function createFarmers(db: Queryable, sealer: RecordSealer, { memberId, farmers, ids }: CreateFarmersParameters): Promise<CreateFarmersReturnType> {
  const pseudonymOf = pseudonymizer(await memberSecret(db, sealer, memberId));
  const created = new Map<number, Farmer>();
  const codeTaken: number[] = [];
  let pending = farmers.map((_, index) => index);
  for (let attempt = 0; pending.length > 0; attempt++) {
    const redraw: number[] = [];
    for (let start = 0; start < pending.length; start += INSERT_CHUNK) {
      const rows = pending.slice(start, start + INSERT_CHUNK).map((index) => {
        const farmer = farmers[index]!;
        const id = ids?.[index] ?? newRecordId("f");
        const sealed = PERSONAL_FIELDS.map((name) => sealField(sealer, id, name, farmer[name] as FieldValue | undefined));
        return { index, id, code: farmer.code ?? generateFarmerCode(), pseudonym: pseudonymOf(id), sealed };
      });
      const params: unknown[] = [memberId.toString()];
      const values = rows.map((row) => {
        params.push(row.id, row.pseudonym, row.code, farmers[row.index]!.language, ...row.sealed);
        // This row's 12 parameters end the list; the member ($1) is shared by every row.
        const at = (offset: number) => `$${params.length - 11 + offset}`;
        return `(${at(0)}, $1, ${Array.from({ length: 11 }, (_, i) => at(i + 1)).join(", ")})`;
      });
      const { rows: inserted } = await db.query<{ id: string; created_at: Date; updated_at: Date }>(
        `insert into farmers (id, member_id, pseudonym, code, language, ${SEALED_LIST}) values ${values.join(", ")}
         on conflict (code) do nothing returning id, created_at, updated_at`,
        params,
      );
      const byId = new Map(inserted.map((row) => [row.id, row]));
      for (const row of rows) {
        const stored = byId.get(row.id);
        const farmer = farmers[row.index]!;
        if (stored) {
          created.set(row.index, farmerFromInput(farmer, { id: row.id, memberId, pseudonym: row.pseudonym, code: row.code, createdAt: stored.created_at, updatedAt: stored.updated_at }));
        } else if (farmer.code !== undefined) {
          codeTaken.push(row.index);
        } else {
          // A generated code met one already printed (about 1 in 34 billion per farmer): draw again.
          redraw.push(row.index);
        }
      }
    }
    if (redraw.length > 0 && attempt >= 5) throw new FarmerCodeTakenError(`${redraw.length} generated card codes kept meeting printed ones`);
    pending = redraw;
  }
  return { created: [...created.keys()].sort((a, b) => a - b).map((index) => created.get(index)!), codeTaken: codeTaken.sort((a, b) => a - b) };
}

/** The record as stored, from what was sealed (no need to open it again). */
function farmerFromInput(
  farmer: FarmerCreate,
  stored: { id: string; memberId: bigint; pseudonym: string; code: string; createdAt: Date; updatedAt: Date },
): Farmer {
  return {
    ...stored,
    name: farmer.name,
    phone: farmer.phone ?? null,
    nationalId: farmer.nationalId ?? null,
    gender: farmer.gender ?? null,
    birthYear: farmer.birthYear ?? null,
    householdSize: farmer.householdSize ?? null,
    femaleHeadedHousehold: farmer.femaleHeadedHousehold ?? null,
    village: farmer.village ?? null,
    language: farmer.language,
    archivedAt: null,
  };
}

export type ReadFarmerReturnType = { farmer: Farmer; access: FarmerAccess } | null;

/** The farmer, if `memberId` may read it (its cooperative, or a certifier it consented to); else null. */
export async function readFarmer(db: Queryable, sealer: RecordSealer, farmerId: string, memberId: bigint): Promise<ReadFarmerReturnType> {
  if (!FARMER_ID_PATTERN.test(farmerId)) return null;
  const access = await farmerAccess(db, farmerId, memberId);
  if (!access) return null;
  const { rows } = await db.query<FarmerRow>(`${SELECT} where id = $1`, [farmerId]);
  return { farmer: farmerOf(sealer, rows[0]!), access };
}

export type ListFarmersParameters = {
  memberId: bigint;
  /** "own": the cooperative's farmers; "audit": farmers who named this member in an audit consent. */
  view?: "own" | "audit";
  status?: "active" | "archived" | "all";
  /** Only the farmer with this (normalised) card code. */
  code?: string | undefined;
  limit?: number;
  /** The `next` of the previous page. */
  after?: string | undefined;
};

export type ListFarmersReturnType = { farmers: Farmer[]; next: string | null };

/** A page of farmers, oldest first, `limit` at a time; `next` continues after the last one. */
export async function listFarmers(db: Queryable, sealer: RecordSealer, parameters: ListFarmersParameters): Promise<ListFarmersReturnType> {
  const limit = parameters.limit ?? 50;
  const conditions: string[] = [];
  const params: unknown[] = [parameters.memberId.toString()];
  conditions.push(
    parameters.view === "audit"
      ? AUDIT_CONSENT("farmers.id", "$1")
      : "member_id = $1",
  );
  const status = parameters.status ?? "active";
  if (status !== "all") conditions.push(status === "active" ? "archived_at is null" : "archived_at is not null");
  if (parameters.code !== undefined) {
    params.push(parameters.code);
    conditions.push(`code = $${params.length}`);
  }
  const after = parameters.after === undefined ? null : parseCursor(parameters.after);
  if (parameters.after !== undefined && !after) throw new FarmerInputError("after: not a cursor this list gave (use the `next` of the previous page)");
  if (after) {
    params.push(after.createdAt, after.id);
    conditions.push(`(created_at, id) > ($${params.length - 1}::timestamptz, $${params.length})`);
  }
  params.push(limit + 1);
  const { rows } = await db.query<FarmerRow>(`${SELECT} where ${conditions.join(" and ")} order by created_at, id limit $${params.length}`, params);
  const page = rows.slice(0, limit);
  return {
    farmers: page.map((row) => farmerOf(sealer, row)),
    next: rows.length > limit ? Buffer.from(page[page.length - 1]!.cursor, "utf8").toString("base64url") : null,
  };
}

/** A page cursor back to its position, or null if it is not one this module made. */
function parseCursor(cursor: string): { createdAt: string; id: string } | null {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const separator = text.lastIndexOf("|");
  const createdAt = text.slice(0, separator);
  const id = text.slice(separator + 1);
  if (separator < 0 || !FARMER_ID_PATTERN.test(id) || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/.test(createdAt)) return null;
  return { createdAt, id };
}

/**
 * Changes a farmer's fields (each given field re-sealed; null clears an optional one) and archives
 * or restores it. Only the registering cooperative may.
 *
 * @throws {FarmerNotFoundError} no farmer this member may read.
 * @throws {FarmerReadOnlyError} an auditing certifier's change.
 */
export async function updateFarmer(db: Queryable, sealer: RecordSealer, farmerId: string, memberId: bigint, change: FarmerUpdate): Promise<Farmer> {
  await requireOwner(db, farmerId, memberId);
  const sets: string[] = ["updated_at = now()"];
  const params: unknown[] = [farmerId];
  for (const name of PERSONAL_FIELDS) {
    if (!(name in change)) continue;
    params.push(sealField(sealer, farmerId, name, change[name] as FieldValue | null));
    sets.push(`${SEALED_COLUMNS[name]} = $${params.length}`);
  }
  if (change.language !== undefined) {
    params.push(change.language);
    sets.push(`language = $${params.length}`);
  }
  if (change.archived !== undefined) sets.push(change.archived ? "archived_at = coalesce(archived_at, now())" : "archived_at = null");
  const { rows } = await db.query<FarmerRow>(
    `update farmers set ${sets.join(", ")} where id = $1
     returning id, member_id, pseudonym, code, language, created_at, updated_at, archived_at, created_at::text || '|' || id as cursor, ${SEALED_LIST}`,
    params,
  );
  return farmerOf(sealer, rows[0]!);
}

/**
 * Only the registering cooperative changes a farmer's records.
 *
 * @throws {FarmerNotFoundError} no farmer this member may read.
 * @throws {FarmerReadOnlyError} an auditing certifier.
 */
export async function requireOwner(db: Queryable, farmerId: string, memberId: bigint): Promise<void> {
  const access = FARMER_ID_PATTERN.test(farmerId) ? await farmerAccess(db, farmerId, memberId) : null;
  if (!access) throw new FarmerNotFoundError(`no farmer ${farmerId}`);
  if (access !== "owner") throw new FarmerReadOnlyError(`farmer ${farmerId} is registered by another cooperative: an auditing certifier reads, never changes, its records`);
}

/** Re-seals every farmer's personal fields (key rotation); returns how many farmers. */
export async function resealFarmers(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> {
  const { rows } = await tx.query<FarmerRow>(`select id, ${SEALED_LIST} from farmers order by id for update`);
  for (const row of rows) {
    const resealed = PERSONAL_FIELDS.map((name) => resealField(from, to, row.id, name, row[SEALED_COLUMNS[name]]));
    await tx.query(
      `update farmers set ${Object.values(SEALED_COLUMNS).map((column, i) => `${column} = $${i + 2}`).join(", ")} where id = $1`,
      [row.id, ...resealed],
    );
  }
  return rows.length;
}
