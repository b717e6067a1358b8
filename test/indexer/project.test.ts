import { expect } from "chai";
import { ZeroHash, id } from "ethers";
import {
  batches,
  blockDone,
  decodeCheckpoint,
  decodeLogs,
  emptyProjectionState,
  encodeCheckpoint,
  HistoryHeadMismatchError,
  IndexerDecodeError,
  IndexerStateError,
  projectEvents,
  resumeBlock,
  type ChainLog,
  type IndexedEvent,
} from "../../src/indexer";
import { computeHistoryHead } from "../../src/lots/historyHead";
import { Role } from "../../src/membership/roles";
import { LotRegistry__factory } from "../../typechain-types";
import { ingredientName } from "../../src/lots/ingredients";
import { SYNTHETIC_CATALOGUE, SyntheticChain, SyntheticForm, toChainLog } from "./syntheticChain";

const registry = "0x00000000000000000000000000000000000000aa";
const coop = "0x00000000000000000000000000000000000000c1";
const processor = "0x00000000000000000000000000000000000000b2";
const ZERO = "0x0000000000000000000000000000000000000000";
const iface = LotRegistry__factory.createInterface();

/** A log of the registry as a node would return it. */
function log(name: string, values: unknown[], blockNumber: number, logIndex: number, tx = id(`tx ${blockNumber}`)): ChainLog {
  const encoded = iface.encodeEventLog(name, values);
  return { address: registry, topics: encoded.topics, data: encoded.data, blockNumber, blockHash: id(`block ${blockNumber}`), transactionHash: tx, logIndex };
}

describe("indexer checkpoints", () => {
  it("are fixed-width strings whose order is the chain's order", () => {
    expect(encodeCheckpoint({ blockNumber: 123, logIndex: 4 })).to.equal("000000000000012300000004");
    expect(decodeCheckpoint("000000000000012300000004")).to.deep.equal({ blockNumber: 123, logIndex: 4 });
    const ordered = [encodeCheckpoint({ blockNumber: 9, logIndex: 10 }), encodeCheckpoint({ blockNumber: 10, logIndex: 2 }), blockDone(10), encodeCheckpoint({ blockNumber: 11, logIndex: 0 })];
    expect([...ordered].reverse().sort()).to.deep.equal(ordered);
    expect(resumeBlock(blockDone(10))).to.equal(11);
    expect(resumeBlock(encodeCheckpoint({ blockNumber: 10, logIndex: 3 }))).to.equal(10);
    expect(() => decodeCheckpoint("12:3")).to.throw(RangeError);
    expect(() => encodeCheckpoint({ blockNumber: -1, logIndex: 0 })).to.throw(RangeError);
  });

  it("cut a page into batches of whole logs, the last ending at the page's end", () => {
    const event = (logIndex: number) => ({ position: encodeCheckpoint({ blockNumber: 5, logIndex }) }) as IndexedEvent;
    // Log 1 carries three events (a LotsMinted of three deliveries): never split.
    const events = [event(0), event(1), event(1), event(1), event(2), event(3)];
    const cut = [...batches(events, 2, blockDone(7))];
    expect(cut.map((batch) => [batch.events.length, batch.next])).to.deep.equal([
      [4, encodeCheckpoint({ blockNumber: 5, logIndex: 1 })],
      [2, blockDone(7)],
    ]);
    expect([...batches([], 2, blockDone(7))]).to.deep.equal([{ events: [], next: blockDone(7) }]);
  });

  it("cut batches at a log boundary once they hold maxEvents events, never inside a log", () => {
    const event = (logIndex: number) => ({ position: encodeCheckpoint({ blockNumber: 5, logIndex }) }) as IndexedEvent;
    const events = [event(0), event(1), event(1), event(1), event(2), event(3)];
    const cut = [...batches(events, 100, blockDone(7), 2)];
    expect(cut.map((batch) => [batch.events.length, batch.next])).to.deep.equal([
      [4, encodeCheckpoint({ blockNumber: 5, logIndex: 1 })],
      [2, blockDone(7)],
    ]);
    expect([...batches(events, 100, blockDone(7), 1)].map((batch) => batch.events.length)).to.deep.equal([1, 3, 1, 1]);
  });
});

describe("decodeLogs and projectEvents", () => {
  const metadata = id("metadata");
  const origin = id("origin");
  const mintedHead = (lotId: bigint, grams: bigint, quality = 0) =>
    computeHistoryHead([{ kind: "minted", lotId, custodian: coop, form: 1, grams, quality, metadata, origin }]);

  const membershipLogs = () => [
    log("MemberAdded", [2n, 1, "0x4944", ZeroHash], 1, 0),
    log("AccountAdded", [2n, coop], 1, 1),
    log("MemberAdded", [3n, 2, "0x4944", ZeroHash], 1, 2),
    log("AccountAdded", [3n, processor], 1, 3),
    log("FormRegistered", [1, 1, 500, 50, true, "cocoa wet beans"], 1, 4),
  ];

  it("reads a LotMinted's custodian from the mint Transfer before it, and projects members, accounts and the lot", () => {
    const tx = id("mint tx");
    const logs = [
      ...membershipLogs(),
      log("Transfer", [ZERO, coop, 2_000_000_001n], 2, 0, tx),
      log("LotMinted", [2_000_000_001n, 1, 5_000n, 5_450, metadata, origin, mintedHead(2_000_000_001n, 5_000n, 5_450)], 2, 1, tx),
    ];
    const events = decodeLogs(logs, { lotRegistry: registry, blockTimes: new Map([[2, new Date("2025-03-01T06:00:00Z")]]) });
    expect(events.map((event) => event.type)).to.deep.equal(["MemberAdded", "AccountAdded", "MemberAdded", "AccountAdded", "FormRegistered", "LotsMinted"]);
    const minted = events.at(-1)!;
    expect(minted).to.deep.include({ type: "LotsMinted", custodian: coop, firstLotId: 2_000_000_001n, position: encodeCheckpoint({ blockNumber: 2, logIndex: 1 }) });
    expect(minted.blockTime?.toISOString()).to.equal("2025-03-01T06:00:00.000Z");

    const state = emptyProjectionState();
    const rows = projectEvents(events, state);
    expect([...rows.accounts.values()].map((account) => [account.address, account.number])).to.deep.equal([[coop, 1], [processor, 2]]);
    const lot = rows.lots.get(2_000_000_001n)!;
    expect(lot).to.deep.include({ custodianMember: 2n, commodity: 1, grams: 5_000n, quality: 5_450, status: "active", genesis: "minted", eventCount: 1 });
    expect(rows.lotEvents).to.have.length(1);
    expect(rows.lotEvents[0]).to.deep.include({ seq: 0, kind: "minted", head: mintedHead(2_000_000_001n, 5_000n, 5_450) });
    expect(rows.lotEvents[0]!.fields).to.deep.equal({ custodian: coop, form: 1, grams: "5000", quality: 5_450, metadata, origin });
  });

  it("stops loudly when the emitted head differs from the recomputed one, naming lot, event, expected and actual", () => {
    const lotId = 2_000_000_001n;
    const head = mintedHead(lotId, 5_000n);
    const logs = [
      ...membershipLogs(),
      log("LotsMinted", [coop, lotId, [[1, 5_000n, 0, metadata, origin]], [head]], 2, 0),
      log("HandoverOffered", [lotId, coop, processor, id("a head from another encoding")], 3, 0),
    ];
    const events = decodeLogs(logs, { lotRegistry: registry });
    let caught: unknown;
    try {
      projectEvents(events, emptyProjectionState());
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(HistoryHeadMismatchError);
    const mismatch = caught as HistoryHeadMismatchError;
    expect(mismatch).to.deep.include({ lotId, event: "offered", expected: id("a head from another encoding"), position: encodeCheckpoint({ blockNumber: 3, logIndex: 0 }) });
    expect(mismatch.actual).to.equal(
      computeHistoryHead([
        { kind: "minted", lotId, custodian: coop, form: 1, grams: 5_000n, quality: 0, metadata, origin },
        { kind: "offered", lotId, custodian: coop, receiver: processor },
      ]),
    );
    expect(mismatch.message).to.contain(`lot ${lotId}`).and.to.contain("offered");
  });

  it("refuses events on lots it does not have, and logs it cannot decode", () => {
    const events = decodeLogs([...membershipLogs(), log("HandoverOffered", [7n, coop, processor, ZeroHash], 2, 0)], { lotRegistry: registry });
    expect(() => projectEvents(events, emptyProjectionState())).to.throw(IndexerStateError, "lot 7");
    const unknown: ChainLog = { ...membershipLogs()[0]!, topics: [id("Unknown(uint256)")] };
    expect(() => decodeLogs([unknown], { lotRegistry: registry })).to.throw(IndexerDecodeError, "Unknown event");
    const minted = log("LotsMinted", [coop, 5n, [[1, 5_000n, 0, metadata, origin]], [ZeroHash]], 2, 0);
    expect(() => decodeLogs([{ ...minted, data: minted.data.slice(0, -64) }], { lotRegistry: registry })).to.throw(IndexerDecodeError, "LotsMinted");
    const offered = log("HandoverOffered", [7n, coop, processor, ZeroHash], 2, 0);
    expect(() => decodeLogs([{ ...offered, topics: offered.topics.slice(0, 3) }], { lotRegistry: registry })).to.throw(IndexerDecodeError, "topics");
    // Logs of other contracts are not the registry's business.
    expect(decodeLogs([{ ...unknown, address: "0x00000000000000000000000000000000000000bb" }], { lotRegistry: registry })).to.deep.equal([]);
  });

  it("decodes every event kind back from the logs the registry would emit (the synthetic chain's round trip)", () => {
    const chain = new SyntheticChain();
    const coop = chain.account("coop");
    const processor = chain.account("processor");
    chain.addMember(Role.cooperative, [coop]);
    chain.addMember(Role.processor, [processor]);
    const lots = chain.mint(coop, [{ form: SyntheticForm.wetBeans, grams: 10n, quality: 5_500 }, { form: SyntheticForm.wetBeans, grams: 20n, quality: 5_800 }]);
    const merged = chain.merge(lots);
    chain.offer(merged, processor);
    chain.accept(merged, 29n, 5_600);
    const [dry] = chain.transform([merged], [{ form: SyntheticForm.dryBeans, grams: 11n, quality: 740 }]);
    chain.split(dry!, [5n, 6n]);
    chain.attachEvidence(dry!, "ticket");
    const sugar = { outputForm: SyntheticForm.chocolate, grams: 300n, name: ingredientName("cane sugar") };
    const liquor = chain.mint(coop, [{ form: SyntheticForm.liquor, grams: 700n }]);
    const [bar] = chain.transform(liquor, [{ form: SyntheticForm.chocolate, grams: 990n }], [sugar]);
    const logs = chain.events.map((event) => toChainLog(event, registry));
    const times = new Map(chain.events.map((event) => [event.blockNumber, event.blockTime!]));
    expect(decodeLogs(logs, { lotRegistry: registry, formCatalogue: SYNTHETIC_CATALOGUE, blockTimes: times })).to.deep.equal(chain.events);
    // Without the catalogue's address its logs are another contract's: left out.
    expect(decodeLogs(logs, { lotRegistry: registry }).some((event) => event.type === "YieldBoundsSet" || event.type === "DryBasisSet")).to.equal(false);
    const state = emptyProjectionState();
    const rows = projectEvents(chain.events, state);
    expect(rows.lotEvents.length).to.equal(2 + 3 + 2 + 2 + 3 + 1 + 3);
    // Quality: the merged lot's grams-weighted mean, re-measured on receipt; the dry beans' own.
    expect(rows.lots.get(merged)!.quality).to.equal(5_600);
    expect(rows.handovers.get(`${merged}:1`)!.quality).to.equal(5_600);
    expect(rows.lots.get(dry!)!.quality).to.equal(740);
    expect([...rows.forms.values()].filter((form) => form.dryBasis).map((form) => form.form)).to.include(SyntheticForm.cupLump);
    // The bar lists its declared ingredients, and its edge carries only the traced 690 g.
    expect(rows.lotIngredients).to.deep.equal([{ lotId: bar!, seq: 0, outputForm: SyntheticForm.chocolate, grams: 300n, name: sugar.name, position: rows.lotIngredients[0]!.position }]);
    expect(rows.lotEdges.filter((edge) => edge.childId === bar).map((edge) => [edge.childGrams, edge.outputsGrams])).to.deep.equal([[690n, 690n]]);
  });
});
