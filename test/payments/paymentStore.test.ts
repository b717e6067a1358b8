import { expect } from "chai";
import path from "node:path";
import { openKeystore } from "../../src/chain/keystore";
import type { KeystoreConfig } from "../../src/config/config";
import type { Database } from "../../src/db";
import { consentCreateSchema, createFarmer, farmerCreateSchema, recordConsent } from "../../src/farmers";
import { createPayment, exportPayoutRun, paymentCreateSchema, paymentResealers, preparePayoutRun, readPayment, verifyPayoutLeaf } from "../../src/payments";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { openMigratedPglite } from "../helpers/engines";

const COOP = 61n;
const keyFile = (file: string, create = true): KeystoreConfig => ({ source: "keyFile", keyFile: file, create });

/** A delivery minted by `member`, as the indexer would have written it (this test has no chain). */
async function indexedDelivery(db: Database, lotId: bigint, member: bigint): Promise<void> {
  await db.query(
    `insert into lots (lot_id, commodity, form, grams, status, custodian, custodian_member, creator, creator_member, genesis, metadata, head, event_count,
                       created_position, created_block, created_tx, updated_position)
     values ($1, 1, 1, 100000, 'active', $2, $3, $2, $3, 'minted', $4, $4, 1, $5, 1, $4, $5)`,
    [lotId.toString(), `0x${"11".repeat(20)}`, member.toString(), `0x${"00".repeat(32)}`, "0".repeat(24)],
  );
}

describe("payment records at rest", function () {
  this.timeout(60_000);
  let dir: string;
  let db: Database;

  beforeEach(async () => {
    dir = makeTempDir("payments-store");
    db = await openMigratedPglite();
  });
  afterEach(async () => {
    await db?.close();
    removeTempDir(dir);
  });

  it("seals every amount, and keys rotate re-seals payments and run leaves: they open under the new key, proofs unchanged", async () => {
    const { keystore } = await openKeystore({ db, config: keyFile(path.join(dir, "old.key")) });
    const farmer = await createFarmer(db, keystore.records, { memberId: COOP, farmer: farmerCreateSchema.parse({ name: "Siti Rahmawati", gender: "female" }) });
    await recordConsent(db, keystore.records, farmer.id, COOP, consentCreateSchema.parse({ scope: "payments", method: "thumbprint", recordedBy: "Agent" }));
    await indexedDelivery(db, 7_000_000_001n, COOP);
    const payment = await createPayment(db, keystore.records, {
      memberId: COOP,
      payment: paymentCreateSchema.parse({
        farmerId: farmer.id,
        deliveryLotIds: ["7000000001"],
        grossGrams: 123_457,
        price: { perKg: 987_654, basis: "wet" },
        currency: "IDR",
        minorUnits: 2,
        paidAt: "2026-06-10T08:00:00Z",
        method: "cash",
      }),
    });
    const stored = (await db.query<{ details_enc: Buffer }>("select details_enc from payments")).rows[0]!.details_enc;
    expect(stored.toString("latin1")).not.to.contain(payment.details.net.toString());
    const run = await preparePayoutRun(db, keystore.records, { memberId: COOP, paymentIds: [payment.id], idempotencyKey: "run-1" });
    expect((await preparePayoutRun(db, keystore.records, { memberId: COOP, paymentIds: [payment.id], idempotencyKey: "run-1" })).root).to.equal(run.root);

    const result = await keystore.rotate(keyFile(path.join(dir, "new.key")), { resealers: paymentResealers });
    expect(result.resealed).to.deep.equal({ payments: 1, "payout runs": 1, "declared other incomes": 0 });
    expect((await db.query<{ details_enc: Buffer }>("select details_enc from payments")).rows[0]!.details_enc.equals(stored)).to.equal(false);
    const reopened = (await openKeystore({ db, config: keyFile(path.join(dir, "new.key"), false) })).keystore;
    expect((await readPayment(db, reopened.records, payment.id, COOP)).details.net).to.equal(payment.details.net);
    const exported = await exportPayoutRun(db, reopened.records, run.root, COOP);
    expect(verifyPayoutLeaf(run.root, exported.leaves[0]!.value, exported.leaves[0]!.proof)).to.equal(true);
  });
});
