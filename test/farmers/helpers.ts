import { openKeystore, type Keystore } from "../../src/chain/keystore";
import { Secret } from "../../src/config/secret";
import type { Database } from "../../src/db";
import { openEvidenceStore, type EvidenceLimits, type EvidenceStore } from "../../src/evidence";
import { openMigratedPglite, type EngineUnderTest } from "../helpers/engines";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** A farmer with every field, as a field agent would type it (the phone with spaces and hyphens). */
export const SITI = {
  name: "Siti Rahmawati",
  phone: "+62 812-3456-7890",
  nationalId: "7208014501820003",
  gender: "female",
  birthYear: 1982,
  householdSize: 5,
  femaleHeadedHousehold: true,
  village: "Desa Tolai Barat",
  language: "id",
} as const;
/** The same record as read back: the phone normalised. */
export const SITI_STORED = { ...SITI, phone: "+6281234567890" };

/** Cheap scrypt: tests open keystores often. */
export const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

export type FarmerFixture = { db: Database; keystore: Keystore; store: EvidenceStore; dir: string; close(): Promise<void> };

/**
 * A migrated database (an in-memory PGlite unless `engine` gives one), a keystore with a passphrase,
 * and an embedded evidence store in a temp dir.
 */
export async function openFarmerFixture(limits: Partial<EvidenceLimits> = {}, engine?: EngineUnderTest): Promise<FarmerFixture> {
  const db = engine ? await engine.openMigrated() : await openMigratedPglite();
  const { keystore } = await openKeystore({ db, config: { source: "passphrase", passphrase: new Secret("farmers test passphrase") }, scrypt: FAST_SCRYPT });
  const dir = makeTempDir("farmers");
  const store = await openEvidenceStore({ kind: "embedded", dir }, limits);
  return {
    db,
    keystore,
    store,
    dir,
    async close() {
      await store.close();
      await db.close();
      removeTempDir(dir);
    },
  };
}

export const FARMER_TABLES = ["member_secrets", "farmers", "farmer_consents", "farmer_consent_withdrawals", "private_evidence", "private_evidence_keys"];

/** Every value of every farmer-module table as text (column names left out), bytea as its raw bytes (latin1), to look for plaintext in. */
export async function farmerTablesText(db: Database): Promise<string> {
  const values: string[] = [];
  for (const table of FARMER_TABLES) {
    const { rows } = await db.query(`select * from ${table}`);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        values.push(Buffer.isBuffer(value) ? value.toString("latin1") : value instanceof Date ? value.toISOString() : String(value));
      }
    }
  }
  return values.join("\n");
}
