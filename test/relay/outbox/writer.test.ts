import { expect } from "chai";
import type { Database } from "../../../src/db";
import { OutboxWriter, type RelayRequest } from "../../../src/relay/outbox";
import { openMigratedPglite } from "../../helpers/engines";

describe("OutboxWriter", () => {
  let db: Database;
  before(async () => {
    db = await openMigratedPglite("worker");
  });
  after(async () => {
    await db?.close();
  });

  it("writes requests that arrive together in few inserts, hands the new ones over, and knows how hard members write now", async () => {
    const writer = new OutboxWriter(db);
    const handed: RelayRequest[] = [];
    writer.handTo({ workerId: "worker-test", take: (requests) => handed.push(...requests) });
    expect(writer.recentRate()).to.equal(0);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => writer.enqueue({ memberId: 3n, idempotencyKey: `burst-${index}`, kind: "lots.mint", payload: { index } })),
    );
    expect(results.every((result) => result.created)).to.equal(true);
    expect(new Set(results.map((result) => result.request.id)).size).to.equal(40);
    expect(handed.map((request) => request.idempotencyKey).sort()).to.deep.equal(results.map((result) => result.request.idempotencyKey).sort());
    expect(handed.every((request) => request.lockedBy === "worker-test")).to.equal(true);
    expect(writer.stats.requests).to.equal(40);
    expect(writer.stats.batches).to.be.at.most(4);
    expect(writer.recentRate()).to.be.at.least(40);

    // A retry with the same key is the first answer again, not a new row.
    const again = await writer.enqueue({ memberId: 3n, idempotencyKey: "burst-0", kind: "lots.mint", payload: { index: 0 } });
    expect(again.created).to.equal(false);
    expect(again.request.id).to.equal(results[0]!.request.id);

    // The rate counts the last one to two seconds only.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(writer.recentRate()).to.equal(0);
  });
});
