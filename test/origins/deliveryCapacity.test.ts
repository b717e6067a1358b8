import { expect } from "chai";
import { type Database } from "../../src/db";
import { CapacityExceededError, DeliveryCapacity, PlotRegistry } from "../../src/origins";
import { RelayIdempotencyConflictError } from "../../src/relay/errors";
import { enqueueRelayRequest } from "../../src/relay/outbox";
import { describeEachEngine } from "../helpers/engines";
import { insertFarmer, square } from "./fixtures";

const COOP = 5n;
const WET = 1;

describeEachEngine("origins: the capacity rule counted from the gateway's own records", (engine) => {
  let db: Database;
  let capacity: DeliveryCapacity;
  let commitment: string;
  let plotId: string;
  const delivery = (kg: number, origin = commitment) => ({ form: WET, grams: String(kg * 1000), metadata: `0x${"ab".repeat(32)}`, origin });
  const mint = (key: string, deliveries: ReturnType<typeof delivery>[]) =>
    capacity.around(COOP, key, deliveries, () => enqueueRelayRequest(db, { memberId: COOP, idempotencyKey: key, kind: "lots.mintBatch", payload: { deliveries } }));
  const deliveredKg = async () => Number((await capacity.delivered([plotId], capacity.year())).get(plotId)?.get(WET) ?? 0n) / 1000;

  before(async () => {
    db = await engine.openMigrated();
    const farmer = await insertFarmer(db, COOP);
    const registry = await PlotRegistry.load(db);
    // 1 ha: 10 t of wet beans a year.
    const { plot } = await registry.register(COOP, { owner: { farmerId: farmer.id }, geometry: square(120.750013, -1.390027), country: "ID", province: "P", district: "D" });
    [commitment, plotId] = [plot.commitment, plot.plotId];
    capacity = new DeliveryCapacity(db, registry);
  });
  after(() => db.close());

  it("counts accepted deliveries of the plot, and refuses the one above capacity before the outbox", async () => {
    await mint("a", [delivery(4_000), delivery(4_000)]);
    expect(await deliveredKg()).to.equal(8_000);
    const error = await mint("b", [delivery(2_500)]).catch((e: Error) => e);
    expect(error).to.be.instanceOf(CapacityExceededError);
    expect((await db.query("select 1 from outbox where idempotency_key = 'b'")).rows).to.have.length(0);
    expect((await db.query("select 1 from plot_deliveries where idempotency_key = 'b'")).rows).to.have.length(0);
  });

  it("does not count a request that failed (reverted on chain), nor rows whose request never reached the outbox", async () => {
    await db.query("update outbox set status = 'failed', finished_at = now() where idempotency_key = 'a'");
    expect(await deliveredKg()).to.equal(0);
    // A crash between the ledger row and the outbox row leaves a ledger row alone: it counts nothing,
    // and the retry of that key replaces it.
    await db.query(
      `insert into plot_deliveries (member_id, idempotency_key, item, plot_id, commitment, form, grams, year) values ($1, 'c', 0, $2, $3, 1, 9000000, $4)`,
      [COOP, plotId, commitment, capacity.year()],
    );
    expect(await deliveredKg()).to.equal(0);
    await mint("c", [delivery(3_000)]);
    expect(await deliveredKg()).to.equal(3_000);
  });

  it("removes its ledger rows when the outbox refuses the request (a key reused for another request)", async () => {
    const error = await mint("c", [delivery(1_000)]).then(() => null, (e: Error) => e);
    // A retried key goes straight to the outbox, which refuses the different request.
    expect(error).to.be.instanceOf(RelayIdempotencyConflictError);
    expect(await deliveredKg()).to.equal(3_000);
    const racing = await capacity
      .around(COOP, "d", [delivery(500)], async () => {
        throw new Error("the outbox write failed");
      })
      .catch((e: Error) => e.message);
    expect(racing).to.equal("the outbox write failed");
    expect((await db.query("select 1 from plot_deliveries where idempotency_key = 'd'")).rows).to.have.length(0);
  });

  it("lets deliveries from origins it does not know through unchecked", async () => {
    const result = await mint("e", [delivery(50_000, `0x${"cd".repeat(32)}`)]);
    expect(result.created).to.equal(true);
    expect((await db.query("select 1 from plot_deliveries where idempotency_key = 'e'")).rows).to.have.length(0);
  });

  it("counts a delivery in the year it names (an import's date), apart from this year's", async () => {
    const lastYear = capacity.year() - 1;
    const old = [{ ...delivery(9_500), year: lastYear }];
    await capacity.around(COOP, "h", old, () => enqueueRelayRequest(db, { memberId: COOP, idempotencyKey: "h", kind: "lots.mintBatch", payload: { deliveries: old.map(({ year: _y, ...d }) => d) } }));
    expect(Number((await capacity.delivered([plotId], lastYear)).get(plotId)?.get(WET)) / 1000).to.equal(9_500);
    const before = await deliveredKg();
    const error = await capacity.around(COOP, "i", [{ ...delivery(600), year: lastYear }], async () => null).catch((e: Error) => e);
    expect(error).to.be.instanceOf(CapacityExceededError);
    expect((error as CapacityExceededError).excesses[0]).to.deep.include({ year: lastYear, deliveredGrams: "9500000" });
    expect(await deliveredKg()).to.equal(before);
  });

  it("serialises checks on one plot: of two requests that each fit alone, only one is accepted", async () => {
    const answers = await Promise.allSettled([mint("f", [delivery(6_000)]), mint("g", [delivery(6_000)])]);
    expect(answers.map((a) => a.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
    expect(await deliveredKg()).to.equal(9_000);
  });
});
