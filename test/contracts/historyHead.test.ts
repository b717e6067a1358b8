import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, ContractTransactionResponse, LogDescription } from "ethers";
import type { LotRegistry } from "../../typechain-types";
import { LotEventKind, computeHistoryHead, ingredientsDigest, type LotHistoryEvent } from "../../src/lots/historyHead";
import { Form, delivery, digest, networkFixture, output, receiptOf } from "./fixtures";

/** Each lot's events in order, with the head the chain emitted after each one. */
type Histories = Map<bigint, { events: LotHistoryEvent[]; emittedHeads: string[] }>;

const consumedKind = {
  [LotEventKind.split]: "split",
  [LotEventKind.merged]: "merged",
  [LotEventKind.transformed]: "transformed",
} as const;

/**
 * Rebuilds every lot's history from the registry's logs alone, as a verifier holding only the
 * receipts would: no input of the test goes in. A single mint's custodian is the `to` of the
 * Transfer just before its LotMinted.
 */
function historiesFromLogs(registry: LotRegistry, receipts: ContractTransactionReceipt[]): Histories {
  const histories: Histories = new Map();
  const append = (lotId: bigint, event: LotHistoryEvent, head: string) => {
    const history = histories.get(lotId) ?? { events: [], emittedHeads: [] };
    history.events.push(event);
    history.emittedHeads.push(head);
    histories.set(lotId, history);
  };
  const address = String(registry.target).toLowerCase();
  for (const receipt of receipts) {
    let lastTransfer: LogDescription | undefined;
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== address) continue;
      const parsed = registry.interface.parseLog(log);
      if (!parsed) continue;
      const { args } = parsed;
      switch (parsed.name) {
        case "Transfer":
          lastTransfer = parsed;
          break;
        case "LotMinted": {
          if (!lastTransfer || lastTransfer.args.tokenId !== args.lotId)
            throw new Error("LotMinted without its Transfer");
          const custodian: string = lastTransfer.args.to;
          append(
            args.lotId,
            {
              kind: "minted",
              lotId: args.lotId,
              custodian,
              form: Number(args.form),
              grams: args.grams,
              quality: Number(args.quality),
              metadata: args.metadata,
              origin: args.origin,
            },
            args.head,
          );
          break;
        }
        case "LotsMinted":
          args.deliveries.forEach(
            (d: { form: bigint; grams: bigint; quality: bigint; metadata: string; origin: string }, index: number) => {
              const lotId = args.firstLotId + BigInt(index);
              append(
                lotId,
                {
                  kind: "minted",
                  lotId,
                  custodian: args.custodian,
                  form: Number(d.form),
                  grams: d.grams,
                  quality: Number(d.quality),
                  metadata: d.metadata,
                  origin: d.origin,
                },
                args.heads[index],
              );
            },
          );
          break;
        case "HandoverOffered":
          append(
            args.lotId,
            { kind: "offered", lotId: args.lotId, custodian: args.custodian, receiver: args.receiver },
            args.head,
          );
          break;
        case "HandoverCancelled":
          append(
            args.lotId,
            { kind: "cancelled", lotId: args.lotId, custodian: args.custodian, receiver: args.receiver },
            args.head,
          );
          break;
        case "HandoverRejected":
          append(
            args.lotId,
            {
              kind: "rejected",
              lotId: args.lotId,
              custodian: args.custodian,
              receiver: args.receiver,
              reason: Number(args.reason),
            },
            args.head,
          );
          break;
        case "HandoverAccepted":
          append(
            args.lotId,
            {
              kind: "accepted",
              lotId: args.lotId,
              previousCustodian: args.previousCustodian,
              custodian: args.custodian,
              gramsSent: args.gramsSent,
              gramsReceived: args.gramsReceived,
              quality: Number(args.quality),
            },
            args.head,
          );
          break;
        case "EvidenceAttached":
          append(args.lotId, { kind: "evidence", lotId: args.lotId, by: args.by, evidence: args.evidence }, args.head);
          break;
        case "LotsDerived": {
          const kind = consumedKind[Number(args.kind) as keyof typeof consumedKind];
          const inputIds: bigint[] = [...args.inputIds];
          const outputCount = BigInt(args.outputs.length);
          inputIds.forEach((lotId, index) =>
            append(lotId, { kind, lotId, firstOutputId: args.firstOutputId, outputCount }, args.inputHeads[index]),
          );
          const ingredients = ingredientsDigest(
            args.ingredients.map((i: { outputForm: bigint; grams: bigint; name: string }) => ({
              outputForm: Number(i.outputForm),
              grams: i.grams,
              name: i.name,
            })),
          );
          args.outputs.forEach((o: { form: bigint; grams: bigint; quality: bigint; metadata: string }, index: number) => {
            const lotId = args.firstOutputId + BigInt(index);
            append(
              lotId,
              {
                kind: "derived",
                lotId,
                custodian: args.custodian,
                form: Number(o.form),
                grams: o.grams,
                quality: Number(o.quality),
                metadata: o.metadata,
                ingredients,
                inputIds,
                inputHeads: [...args.inputHeads],
              },
              args.outputHeads[index],
            );
          });
          break;
        }
      }
    }
  }
  return histories;
}

/**
 * A lot's head recomputed off chain. A derived lot's parents' heads are recomputed too, from their
 * own events, rather than taken from the LotsDerived log: the head of the last lot then checks its
 * whole ancestry.
 */
function recompute(lotId: bigint, histories: Histories): string {
  const history = histories.get(lotId);
  if (!history) throw new Error(`no events for lot ${lotId}`);
  return computeHistoryHead(withRecomputedParents(history.events, histories));
}

function withRecomputedParents(events: LotHistoryEvent[], histories: Histories): LotHistoryEvent[] {
  return events.map((event) =>
    event.kind === "derived" ? { ...event, inputHeads: event.inputIds.map((id) => recompute(id, histories)) } : event,
  );
}

function cloneHistories(histories: Histories): Histories {
  return new Map(
    [...histories].map(([id, h]) => [
      id,
      { events: h.events.map((e) => ({ ...e })), emittedHeads: [...h.emittedHeads] },
    ]),
  );
}

/**
 * A long life, every step a receipt: the cooperative mints A and B in a batch and C alone, attaches a
 * weigh ticket to A, offers A to the processor who rejects it, offers again and cancels, offers a third
 * time and the processor accepts, measuring the moisture again; B and C follow. The processor splits A
 * into P1 and P2, merges both parts with B into M, dries M and C into dry beans D, attaches a drying
 * record, and hands D to the brand, who measures its moisture. Qualities (moisture) fold into heads.
 */
async function liveLife(rejectReason: number) {
  const network = await networkFixture();
  const { registry, coopPhone1, coopPhone2, processor, brand } = network;
  const receipts: ContractTransactionReceipt[] = [];
  const step = async (tx: Promise<ContractTransactionResponse>) => {
    const receipt = await receiptOf(tx);
    receipts.push(receipt);
    return receipt;
  };

  const [A, B] = [await registry.nextLotId(coopPhone1), (await registry.nextLotId(coopPhone1)) + 1n];
  await step(
    registry
      .connect(coopPhone1)
      .mintBatch([delivery(Form.wetBeans, 120_000n, "A", 5_500), delivery(Form.wetBeans, 80_000n, "B", 5_800)]),
  );
  const C = await registry.nextLotId(coopPhone2);
  await step(registry.connect(coopPhone2).mint(delivery(Form.wetBeans, 30_000n, "C", 0)));
  await step(registry.connect(coopPhone2).attachEvidence(A, digest("weigh ticket A")));
  await step(registry.connect(coopPhone1).offer(A, processor));
  await step(registry.connect(processor).reject(A, rejectReason));
  await step(registry.connect(coopPhone1).offer(A, processor));
  await step(registry.connect(coopPhone2).cancel(A));
  await step(registry.connect(coopPhone1).offer(A, processor));
  await step(registry.connect(processor).accept(A, 118_500n, 5_300));
  await step(registry.connect(coopPhone1).offer(B, processor));
  await step(registry.connect(processor).accept(B, 80_000n, 0));
  await step(registry.connect(coopPhone2).offer(C, processor));
  await step(registry.connect(processor).accept(C, 30_100n, 0));

  const P1 = await registry.nextLotId(processor);
  const P2 = P1 + 1n;
  await step(
    registry
      .connect(processor)
      .split(A, [output(Form.wetBeans, 70_000n, "P1"), output(Form.wetBeans, 48_500n, "P2", 5_300)]),
  );
  const M = await registry.nextLotId(processor);
  await step(registry.connect(processor).merge([P1, P2, B], digest("merged M")));
  const D = await registry.nextLotId(processor);
  await step(registry.connect(processor).transform([M, C], [output(Form.dryBeans, 90_000n, "D", 740)]));
  await step(registry.connect(processor).attachEvidence(D, digest("drying record D")));
  await step(registry.connect(processor).offer(D, brand));
  await step(registry.connect(brand).accept(D, 89_500n, 760));

  const lots = { A, B, C, P1, P2, M, D };
  return { ...network, receipts, lots, histories: historiesFromLogs(registry, receipts) };
}

const lifeFixture = () => liveLife(2);
const otherRejectionFixture = () => liveLife(3);

describe("History heads", function () {
  describe("when a lot has lived a long life", function () {
    it("has, in the logs, every event of each lot in order", async function () {
      const { histories, lots } = await loadFixture(lifeFixture);
      const kinds = (id: bigint) => histories.get(id)!.events.map((event) => event.kind);
      expect(kinds(lots.A)).to.deep.equal([
        "minted",
        "evidence",
        "offered",
        "rejected",
        "offered",
        "cancelled",
        "offered",
        "accepted",
        "split",
      ]);
      expect(kinds(lots.B)).to.deep.equal(["minted", "offered", "accepted", "merged"]);
      expect(kinds(lots.C)).to.deep.equal(["minted", "offered", "accepted", "transformed"]);
      expect(kinds(lots.P1)).to.deep.equal(["derived", "merged"]);
      expect(kinds(lots.P2)).to.deep.equal(["derived", "merged"]);
      expect(kinds(lots.M)).to.deep.equal(["derived", "transformed"]);
      expect(kinds(lots.D)).to.deep.equal(["derived", "evidence", "offered", "accepted"]);
    });

    it("recomputes off chain to the chain's head for every lot, one by one and in one call", async function () {
      const { registry, histories, lots } = await loadFixture(lifeFixture);
      const ids = Object.values(lots);
      const recomputed = ids.map((id) => recompute(id, histories));
      for (const [index, id] of ids.entries()) {
        expect(await registry.historyHead(id), `lot ${id}`).to.equal(recomputed[index]);
      }
      expect(await registry.historyHeads(ids)).to.deep.equal(recomputed);
      expect(new Set(recomputed).size).to.equal(ids.length);
    });

    it("refuses to give heads when one of the lots does not exist", async function () {
      const { registry, lots } = await loadFixture(lifeFixture);
      const unknown = lots.D + 1n;
      await expect(registry.historyHead(unknown))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(unknown);
      await expect(registry.historyHeads([lots.A, unknown]))
        .to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot")
        .withArgs(unknown);
    });

    it("matches the head each event emitted, after every step", async function () {
      const { histories } = await loadFixture(lifeFixture);
      for (const [lotId, { events, emittedHeads }] of histories) {
        const resolved = withRecomputedParents(events, histories);
        resolved.forEach((_, index) => {
          expect(computeHistoryHead(resolved.slice(0, index + 1)), `lot ${lotId} after ${events[index].kind}`).to.equal(
            emittedHeads[index],
          );
        });
      }
    });

    it("commits a derived lot to its parents' heads at the moment they were consumed", async function () {
      const { histories, lots } = await loadFixture(lifeFixture);
      const [genesis] = histories.get(lots.D)!.events;
      if (genesis.kind !== "derived") throw new Error("D is derived");
      expect(genesis.inputIds).to.deep.equal([lots.M, lots.C]);
      expect(genesis.inputHeads).to.deep.equal([recompute(lots.M, histories), recompute(lots.C, histories)]);
    });
  });

  describe("when any part of the ancestry had been different", function () {
    it("gives the final lot another head on chain though its own record is the same", async function () {
      // Both lives run on the same fresh network, so read one before loading the other.
      const life = await loadFixture(lifeFixture);
      const { A, B, C, P1, P2, M, D } = life.lots;
      const ids = [A, B, C, P1, P2, M, D];
      const mine = await life.registry.historyHeads(ids);
      const lotMine = (await life.registry.getLot(D)).lot;

      const other = await loadFixture(otherRejectionFixture);
      expect(other.lots).to.deep.equal(life.lots);
      const theirs = await other.registry.historyHeads(ids);
      const lotTheirs = (await other.registry.getLot(D)).lot;

      // Only the rejection reason of A differed: A and everything descended from it differ, B and C do not.
      expect(theirs.slice(1, 3)).to.deep.equal(mine.slice(1, 3));
      for (const index of [0, 3, 4, 5, 6]) expect(theirs[index], `lot ${ids[index]}`).not.to.equal(mine[index]);
      expect([...lotTheirs]).to.deep.equal([...lotMine]);
      expect(recompute(D, other.histories)).to.equal(theirs[6]);
    });

    type Tamper = (histories: Histories, lots: Record<string, bigint>) => void;
    const event = (histories: Histories, lotId: bigint, kind: LotHistoryEvent["kind"]) => {
      const found = histories.get(lotId)!.events.find((e) => e.kind === kind);
      if (!found) throw new Error(`no ${kind} event`);
      return found as Extract<LotHistoryEvent, { kind: typeof kind }> & Record<string, unknown>;
    };
    const tampers: Record<string, Tamper> = {
      "A's rejection reason is altered": (h, l) => void (event(h, l.A, "rejected").reason = 3),
      "the weight A's receiver recorded is altered": (h, l) =>
        void (event(h, l.A, "accepted").gramsReceived = 118_501n),
      "the moisture A's receiver measured is altered": (h, l) => void (event(h, l.A, "accepted").quality = 5_200),
      "B's moisture at the weigh-in is altered": (h, l) => void (event(h, l.B, "minted").quality = 5_700),
      "the moisture of dry beans D is altered": (h, l) => void (event(h, l.D, "derived").quality = 700),
      "A's weigh-ticket digest is altered": (h, l) =>
        void (event(h, l.A, "evidence").evidence = digest("another ticket")),
      "C's origin commitment is altered": (h, l) => void (event(h, l.C, "minted").origin = digest("another plot")),
      "the metadata of part P2 is altered": (h, l) => void (event(h, l.P2, "derived").metadata = digest("other")),
      "the receiver named in A's cancellation is altered": (h, l) =>
        void (event(h, l.A, "cancelled").receiver = event(h, l.A, "cancelled").custodian),
      "A's first offer and its rejection are swapped": (h, l) => {
        const events = h.get(l.A)!.events;
        [events[2], events[3]] = [events[3], events[2]];
      },
      "one of B's events is dropped": (h, l) => void h.get(l.B)!.events.splice(1, 1),
    };
    for (const [what, tamper] of Object.entries(tampers)) {
      it(`changes the final lot's recomputed head when, off chain, ${what}`, async function () {
        const { registry, histories, lots } = await loadFixture(lifeFixture);
        const altered = cloneHistories(histories);
        tamper(altered, lots);
        expect(recompute(lots.D, histories)).to.equal(await registry.historyHead(lots.D));
        expect(recompute(lots.D, altered)).not.to.equal(await registry.historyHead(lots.D));
      });
    }
  });

  describe("when an event carries a value that is not a 32-byte word", function () {
    const minted = (metadata: string): LotHistoryEvent => ({ kind: "minted", lotId: 1n, custodian: `0x${"ab".repeat(20)}`, form: 1, grams: 1_000n, quality: 0, metadata, origin: `0x${"00".repeat(32)}` });
    for (const [what, metadata] of [
      ["a character that is not hex", `0x${"0g".repeat(32)}`],
      ["a character that is not hex at the end", `0x${"00".repeat(31)}0z`],
      ["one byte short", `0x${"00".repeat(31)}`],
      ["no 0x", "00".repeat(33)],
    ] as const) {
      it(`refuses to hash it (${what})`, function () {
        expect(() => computeHistoryHead([minted(metadata)])).to.throw(RangeError);
      });
    }
    it("hashes mixed-case hex as lowercase (as the ABI coder does)", function () {
      const lower = `0x${"ab".repeat(32)}`;
      expect(computeHistoryHead([minted(lower.toUpperCase().replace("0X", "0x"))])).to.equal(computeHistoryHead([minted(lower)]));
    });
  });
});
