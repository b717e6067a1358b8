import { expect } from "chai";
import path from "node:path";
import { KeystoreKeyMismatchError, openKeystore } from "../../src/chain/keystore";
import { open } from "../../src/chain/keystore/cipher";
import { deriveFromKeyFile, deriveRecordsKey, readKeyFile } from "../../src/chain/keystore/keyEncryptionKey";
import type { KeystoreConfig } from "../../src/config/config";
import type { Database } from "../../src/db";
import { openEvidenceStore, type EvidenceStore } from "../../src/evidence";
import {
  FarmerRecordCorruptError,
  consentCreateSchema,
  createFarmer,
  farmerCreateSchema,
  farmerPseudonym,
  farmerResealers,
  listConsents,
  putPrivateEvidence,
  readFarmer,
  readPrivateEvidence,
  recordConsent,
} from "../../src/farmers";
import { memberSecret } from "../../src/farmers/pseudonym";
import { buildPdf } from "../evidence/fixtures";
import { rejection } from "../helpers/rejection";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { openMigratedPglite } from "../helpers/engines";

const COOP = 51n;
const keyFile = (file: string, create = true): KeystoreConfig => ({ source: "keyFile", keyFile: file, create });

/** Every sealed value of the farmer tables, by table, row and column. */
async function sealedValues(db: Database): Promise<Map<string, Buffer>> {
  const values = new Map<string, Buffer>();
  const queries = [
    "select 'secret:' || member_id as key, sealed_secret as blob from member_secrets",
    `select 'farmer:' || id || ':' || c.field as key, c.blob from farmers,
       lateral (values ('name', name_enc), ('phone', phone_enc), ('national_id', national_id_enc), ('gender', gender_enc), ('birth_year', birth_year_enc),
                       ('household_size', household_size_enc), ('female_headed', female_headed_enc), ('village', village_enc)) as c(field, blob)
      where c.blob is not null`,
    "select 'witness:' || id as key, witness_enc as blob from farmer_consents where witness_enc is not null",
    "select 'document key:' || cid as key, wrapped_key as blob from private_evidence_keys",
  ];
  for (const sql of queries) for (const row of (await db.query<{ key: string; blob: Buffer }>(sql)).rows) values.set(row.key, row.blob);
  return values;
}

describe("keys rotate re-seals the farmers' private records", function () {
  this.timeout(60_000);
  let dir: string;
  let db: Database;
  let store: EvidenceStore;
  beforeEach(async () => {
    dir = makeTempDir("farmers-reseal");
    db = await openMigratedPglite();
    store = await openEvidenceStore({ kind: "embedded", dir: path.join(dir, "evidence") });
  });
  afterEach(async () => {
    await store?.close();
    await db?.close();
    removeTempDir(dir);
  });

  async function seed(config: KeystoreConfig) {
    const { keystore } = await openKeystore({ db, config });
    const farmer = await createFarmer(db, keystore.records, {
      memberId: COOP,
      farmer: farmerCreateSchema.parse({ name: "Siti Rahmawati", phone: "+6281234567890", nationalId: "7208014501820003", gender: "female", birthYear: 1982, householdSize: 5, femaleHeadedHousehold: true, village: "Tolai" }),
    });
    await recordConsent(db, keystore.records, farmer.id, COOP, consentCreateSchema.parse({ scope: "research", method: "witnessed-verbal", witness: "Pak Lurah", recordedBy: "Agent" }));
    const document = await putPrivateEvidence(db, store, keystore.records, { memberId: COOP, farmerId: farmer.id, kind: "land-title", mediaType: "application/pdf", bytes: buildPdf("title deed") });
    return { keystore, farmer, document };
  }

  it("re-seals secrets, fields, witnesses and document keys in the rotation; the new key reads them all, the old none, and pseudonyms stay", async () => {
    const oldFile = path.join(dir, "old.key");
    const newFile = path.join(dir, "new.key");
    const { keystore, farmer, document } = await seed(keyFile(oldFile));
    const before = await sealedValues(db);
    expect(before.size).to.equal(1 + 8 + 1 + 1);

    const result = await keystore.rotate(keyFile(newFile), { resealers: farmerResealers });
    expect(result.resealed).to.deep.equal({ "cooperative secrets": 1, farmers: 1, "consent witnesses": 1, "private document keys": 1 });

    const after = await sealedValues(db);
    expect([...after.keys()]).to.deep.equal([...before.keys()]);
    const oldRecordsKey = deriveRecordsKey(deriveFromKeyFile(readKeyFile(oldFile, { create: false }).key));
    for (const [key, blob] of after) {
      expect(blob.equals(before.get(key)!), `${key} re-sealed`).to.equal(false);
      // The old key opens none of them, whatever the associated data: the tag never matches.
      expect(open(oldRecordsKey, blob, Buffer.alloc(0)), key).to.equal(null);
    }

    // The running keystore follows the rotation, and a keystore opened with the new key reads everything.
    expect((await readFarmer(db, keystore.records, farmer.id, COOP))!.farmer.name).to.equal("Siti Rahmawati");
    expect(await rejection(openKeystore({ db, config: keyFile(oldFile, false) }))).to.be.instanceOf(KeystoreKeyMismatchError);
    const reopened = (await openKeystore({ db, config: keyFile(newFile, false) })).keystore;
    const read = await readFarmer(db, reopened.records, farmer.id, COOP);
    expect(read!.farmer).to.deep.include({ name: "Siti Rahmawati", phone: "+6281234567890", nationalId: "7208014501820003", gender: "female", birthYear: 1982, householdSize: 5, femaleHeadedHousehold: true, village: "Tolai" });
    expect((await listConsents(db, reopened.records, farmer.id))[0]!.witness).to.equal("Pak Lurah");
    expect((await readPrivateEvidence(db, store, reopened.records, document.cid, COOP))!.bytes.equals(buildPdf("title deed"))).to.equal(true);
    // The cooperative's secret is the same secret: the pseudonym is recomputed as it was stored.
    expect(farmerPseudonym(await memberSecret(db, reopened.records, COOP), farmer.id)).to.equal(farmer.pseudonym);
    expect(read!.farmer.pseudonym).to.equal(farmer.pseudonym);
  });

  it("changes nothing when one record does not open: the old key still opens everything", async () => {
    const oldFile = path.join(dir, "old.key");
    const { keystore, farmer } = await seed(keyFile(oldFile));
    const other = await createFarmer(db, keystore.records, { memberId: COOP, farmer: farmerCreateSchema.parse({ name: "Budi", village: "Sausu" }) });
    await db.query("update farmers set village_enc = (select village_enc from farmers where id = $1) where id = $2", [farmer.id, other.id]);
    const before = await sealedValues(db);
    const check = (await db.query<{ check_blob: Buffer }>("select check_blob from keystore_keks")).rows[0]!.check_blob;

    expect(await rejection(keystore.rotate(keyFile(path.join(dir, "new.key")), { resealers: farmerResealers }))).to.be.instanceOf(FarmerRecordCorruptError);
    expect([...(await sealedValues(db)).entries()]).to.deep.equal([...before.entries()]);
    expect((await db.query<{ check_blob: Buffer }>("select check_blob from keystore_keks")).rows[0]!.check_blob).to.deep.equal(check);
    const reopened = (await openKeystore({ db, config: keyFile(oldFile, false) })).keystore;
    expect((await readFarmer(db, reopened.records, farmer.id, COOP))!.farmer.name).to.equal("Siti Rahmawati");
  });
});
