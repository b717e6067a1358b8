import { openKeystore, type Keystore } from "../../src/chain/keystore";
import { Secret } from "../../src/config/secret";
import type { Database } from "../../src/db";
import { migrate } from "../../src/db/migrate";
import { openPglite } from "../../src/db/pglite";
import { openEvidenceStore, type EvidenceLimits, type EvidenceStore } from "../../src/evidence";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** Cheap scrypt: tests open keystores often. */
export const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };

export type FarmerFixture = { db: Database; keystore: Keystore; store: EvidenceStore; dir: string; close(): Promise<void> };

/** A migrated in-memory PGlite, a keystore with a passphrase, and an embedded evidence store in a temp dir. */
export async function openFarmerFixture(limits: Partial<EvidenceLimits> = {}): Promise<FarmerFixture> {
  const db = await openPglite({ dir: null });
  await migrate(db);
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
