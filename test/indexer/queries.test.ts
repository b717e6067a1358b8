import { expect } from "chai";
import type { Database } from "../../src/db";
import {
  DagTooLargeError,
  getEventsOfLots,
  getLot,
  getLotDag,
  getLotHistory,
  getLots,
  getMember,
  getMemberSummaries,
  InvalidCursorError,
  listLots,
  lotExists,
  MAX_READ_MODEL_ID,
  membersOfAccounts,
  readModelSnapshot,
  memberDeliveriesByDay,
  memberStockByForm,
  type DagNodeView,
} from "../../src/indexer/queries";
import { Role } from "../../src/membership/roles";
import { describeEachEngine } from "../helpers/engines";
import { indexSynthetic } from "./indexSynthetic";
import { formById } from "../../src/lots/forms";
import { SyntheticChain, SyntheticForm as Form } from "./syntheticChain";

/**
 * A diamond: delivery A is split into B and C, which are merged again into D and dried into E.
 * Beside it, delivery X is split into X1 and X2 and only X1 is dried (Y): a partial contribution.
 */
function buildScenario() {
  const chain = new SyntheticChain();
  const coop = chain.account("coop");
  const coopPhone = chain.account("coop phone");
  const processor = chain.account("processor");
  const coopMember = chain.addMember(Role.cooperative, [coop, coopPhone]);
  const processorMember = chain.addMember(Role.processor, [processor]);
  chain.secondsPerBlock = 6 * 3600; // four blocks a day: deliveries fall on different days
  const [a] = chain.mint(coop, [{ form: Form.wetBeans, grams: 100_000n }]);
  const [b, c] = chain.split(a!, [60_000n, 40_000n]);
  const d = chain.merge([b!, c!]);
  const [e] = chain.transform([d], [{ form: Form.dryBeans, grams: 40_000n }]);
  const [x, spare] = chain.mint(coopPhone, [
    { form: Form.wetBeans, grams: 100_000n },
    { form: Form.wetBeans, grams: 20_000n },
  ]);
  const [x1, x2] = chain.split(x!, [30_000n, 70_000n]);
  chain.handOver([x1!], processor);
  const [y] = chain.transform([x1!], [{ form: Form.dryBeans, grams: 12_000n }]);
  chain.offer(spare!, processor);
  chain.attachEvidence(e!, "moisture report");
  return { chain, coop, processor, coopMember, processorMember, lots: { a: a!, b: b!, c: c!, d, e: e!, x: x!, x1: x1!, x2: x2!, y: y!, spare: spare! } };
}

describeEachEngine("read-model queries", (engine) => {
  let db: Database;
  const scenario = buildScenario();
  const { lots } = scenario;
  const summary = (node: DagNodeView) => [node.lot.lotId, node.depth, node.paths, node.upstreamShare, node.downstreamShare, node.upstreamGrams, node.downstreamGrams];

  before(async () => {
    db = await engine.openMigrated();
    await indexSynthetic(db, scenario.chain.events, 7);
  });
  after(() => db.close());

  it("a lot: state, custodian, form and quantity; null for an unknown id", async () => {
    const lot = await getLot(db, lots.y);
    expect(lot).to.deep.include({ lotId: String(lots.y), commodity: "cocoa", grams: "12000", status: "active", genesis: "transformed", eventCount: 1 });
    expect(lot!.form).to.deep.equal({ id: Form.dryBeans, name: formById(Form.dryBeans)!.name });
    expect(lot!.custodian.memberId).to.equal(String(scenario.processorMember));
    const spare = await getLot(db, lots.spare);
    expect(spare).to.deep.include({ status: "in_transit" });
    expect(spare!.pendingReceiver!.memberId).to.equal(String(scenario.processorMember));
    expect(await getLot(db, 999n)).to.equal(null);
  });

  it("the page's readers: existence, lots by id (ids beyond int8 name nothing), every event of several lots, members of accounts", async () => {
    expect(await lotExists(db, lots.y)).to.equal(true);
    expect(await lotExists(db, 999n)).to.equal(false);
    expect(await lotExists(db, MAX_READ_MODEL_ID + 1n)).to.equal(false);
    expect(await getLot(db, MAX_READ_MODEL_ID + 1n)).to.equal(null);
    expect((await getLots(db, [lots.y, MAX_READ_MODEL_ID + 1n, 999n, lots.a])).map((lot) => lot.lotId)).to.deep.equal([String(lots.y), String(lots.a)]);

    const events = await getEventsOfLots(db, [String(lots.e), String(lots.a), "999"]);
    expect(events.map((event) => [event.lotId, event.seq, event.kind])).to.deep.equal([
      [String(lots.a), 0, "minted"],
      [String(lots.a), 1, "split"],
      [String(lots.e), 0, "derived"],
      [String(lots.e), 1, "evidence"],
    ]);
    expect(events.at(-1)!.head).to.equal(scenario.chain.lots.get(lots.e)!.head);

    const owners = await membersOfAccounts(db, [scenario.coop.toUpperCase().replace("0X", "0x"), scenario.processor, "0x00000000000000000000000000000000000000ff"]);
    expect([...owners].sort()).to.deep.equal([
      [scenario.coop.toLowerCase(), String(scenario.coopMember)],
      [scenario.processor.toLowerCase(), String(scenario.processorMember)],
    ].sort());
    const summaries = await getMemberSummaries(db, [String(scenario.processorMember), "77"]);
    expect(summaries).to.deep.equal([{ memberId: String(scenario.processorMember), roles: ["processor"], country: "ID", metadata: summaries[0]!.metadata }]);
    expect(summaries[0]!.metadata).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("a snapshot reads at the indexer's checkpoint block", async () => {
    const lastBlock = Math.max(...scenario.chain.events.map((event) => event.blockNumber));
    const seen = await readModelSnapshot(db, async (q, indexedBlock) => ({ indexedBlock, exists: await lotExists(q, lots.a) }));
    expect(seen.indexedBlock).to.be.at.least(lastBlock);
    expect(seen.exists).to.equal(true);
  });

  it("ancestry of a diamond counts each path once, with depth and the grams flowing along the edges", async () => {
    const dag = (await getLotDag(db, lots.e, { direction: "ancestors" }))!;
    expect(dag.total).to.equal(4);
    expect(dag.pathRows).to.equal(6); // root, D, B, C, and A twice (once through B, once through C)
    expect(dag.items.map(summary)).to.deep.equal([
      [String(lots.d), 1, 1, "1", "1", "100000", "40000"],
      [String(lots.b), 2, 1, "1", "0.6", "60000", "24000"],
      [String(lots.c), 2, 1, "1", "0.4", "40000", "16000"],
      [String(lots.a), 3, 2, "1", "1", "100000", "40000"],
    ]);
    const a = dag.items.at(-1)!;
    expect(a.maxDepth).to.equal(3);
    expect(a.edges).to.deep.equal([
      { parentId: String(lots.a), childId: String(lots.b), kind: "split", parentGrams: "60000", childGrams: "60000" },
      { parentId: String(lots.a), childId: String(lots.c), kind: "split", parentGrams: "40000", childGrams: "40000" },
    ]);
    expect(dag.items[0]!.edges).to.deep.equal([
      { parentId: String(lots.d), childId: String(lots.e), kind: "transformed", parentGrams: "100000", childGrams: "40000" },
    ]);
  });

  it("descendants of the diamond's delivery reach the merged and dried lots by two paths each", async () => {
    const dag = (await getLotDag(db, lots.a, { direction: "descendants" }))!;
    expect(dag.items.map(summary)).to.deep.equal([
      [String(lots.b), 1, 1, "0.6", "1", "60000", "60000"],
      [String(lots.c), 1, 1, "0.4", "1", "40000", "40000"],
      [String(lots.d), 2, 2, "1", "1", "100000", "100000"],
      [String(lots.e), 3, 2, "1", "1", "100000", "40000"],
    ]);
    expect(dag.items[2]!.edges.map((edge) => edge.parentId)).to.deep.equal([String(lots.b), String(lots.c)]);
  });

  it("a partial contribution: only the part of a delivery that went into the lot counts", async () => {
    const dag = (await getLotDag(db, lots.y, { direction: "ancestors" }))!;
    expect(dag.items.map(summary)).to.deep.equal([
      [String(lots.x1), 1, 1, "1", "1", "30000", "12000"],
      [String(lots.x), 2, 1, "0.3", "1", "30000", "12000"],
    ]);
    // The other part is not in the ancestry, and X's edge to it is not shown.
    expect(dag.items[1]!.edges.map((edge) => edge.childId)).to.deep.equal([String(lots.x1)]);
    expect((await getLotDag(db, lots.a, { direction: "ancestors" }))!.items).to.deep.equal([]);
  });

  it("pages the DAG by depth with a cursor, stops at maxDepth, and refuses walks beyond the path limit", async () => {
    const first = (await getLotDag(db, lots.e, { direction: "ancestors", limit: 3 }))!;
    expect(first.items).to.have.length(3);
    const second = (await getLotDag(db, lots.e, { direction: "ancestors", limit: 3, cursor: first.nextCursor! }))!;
    expect(second.items.map((node) => node.lot.lotId)).to.deep.equal([String(lots.a)]);
    expect(second.nextCursor).to.equal(null);
    const shallow = (await getLotDag(db, lots.e, { direction: "ancestors", maxDepth: 2 }))!;
    expect(shallow.items.map((node) => node.lot.lotId)).to.deep.equal([lots.d, lots.b, lots.c].map(String));
    await getLotDag(db, lots.e, { direction: "ancestors", maxPathRows: 5 }).then(
      () => expect.fail("a walk of 6 paths must exceed a limit of 5"),
      (error: unknown) => expect(error).to.be.instanceOf(DagTooLargeError),
    );
    await getLotDag(db, lots.e, { direction: "descendants", cursor: first.nextCursor! }).then(
      () => expect.fail("an ancestry cursor is not a descendants cursor"),
      (error: unknown) => expect(error).to.be.instanceOf(InvalidCursorError),
    );
    expect(await getLotDag(db, 12345n, { direction: "ancestors" })).to.equal(null);
  });

  it("history in order with transaction hashes and heads, paged", async () => {
    const page1 = (await getLotHistory(db, lots.e, { limit: 1 }))!;
    expect(page1.items.map((event) => [event.seq, event.kind])).to.deep.equal([[0, "derived"]]);
    expect(page1.items[0]!.txHash).to.match(/^0x[0-9a-f]{64}$/);
    const page2 = (await getLotHistory(db, lots.e, { limit: 1, cursor: page1.nextCursor! }))!;
    expect(page2.items.map((event) => [event.seq, event.kind])).to.deep.equal([[1, "evidence"]]);
    expect(page2.items[0]!.head).to.equal(scenario.chain.lots.get(lots.e)!.head);
    expect(page2.nextCursor).to.equal(null);
    expect(await getLotHistory(db, 12345n)).to.equal(null);
  });

  it("lists lots with filters and cursors", async () => {
    const wet = await listLots(db, { form: Form.wetBeans, limit: 3 });
    expect(wet.items.map((lot) => lot.lotId)).to.deep.equal([lots.a, lots.b, lots.c].map(String));
    const rest = await listLots(db, { form: Form.wetBeans, limit: 3, cursor: wet.nextCursor! });
    expect(rest.items.map((lot) => lot.lotId)).to.deep.equal([lots.d, lots.x, lots.spare].map(String));
    const more = await listLots(db, { form: Form.wetBeans, limit: 3, cursor: rest.nextCursor! });
    expect(more.items.map((lot) => lot.lotId)).to.deep.equal([lots.x1, lots.x2].map(String));
    expect(more.nextCursor).to.equal(null);
    const held = await listLots(db, { custodianMember: scenario.processorMember, status: "active" });
    expect(held.items.map((lot) => lot.lotId)).to.deep.equal([String(lots.y)]);
    const minted = await listLots(db, { genesis: "minted", commodity: "cocoa" });
    expect(minted.items.map((lot) => lot.lotId)).to.deep.equal([lots.a, lots.x, lots.spare].map(String));
    const aDay = await listLots(db, { genesis: "minted", from: new Date(Date.parse((await getLot(db, lots.x))!.created.at!)) });
    expect(aDay.items.map((lot) => lot.lotId)).to.deep.equal([lots.x, lots.spare].map(String));
    expect((await listLots(db, { commodity: "rubber" })).items).to.deep.equal([]);
    // A page examines a bounded number of rows: with 3, the first page finds only A among the
    // first three lots (A, B, C) and says where to go on; following the cursors finds them all.
    const bounded = await listLots(db, { genesis: "minted", scanRows: 3 });
    expect(bounded.items.map((lot) => lot.lotId)).to.deep.equal([String(lots.a)]);
    const found: string[] = [...bounded.items.map((lot) => lot.lotId)];
    let cursor = bounded.nextCursor;
    let pages = 1;
    while (cursor) {
      const page = await listLots(db, { genesis: "minted", scanRows: 3, cursor });
      found.push(...page.items.map((lot) => lot.lotId));
      cursor = page.nextCursor;
      pages += 1;
    }
    expect(found).to.deep.equal([lots.a, lots.x, lots.spare].map(String));
    expect(pages).to.be.greaterThan(2);
    await listLots(db, { cursor: "not-a-cursor" }).then(
      () => expect.fail("a malformed cursor is refused"),
      (error: unknown) => expect(error).to.be.instanceOf(InvalidCursorError),
    );
  });

  it("member views: the member and its accounts, deliveries by day, stock by form", async () => {
    const member = (await getMember(db, scenario.coopMember))!;
    expect(member).to.deep.include({ memberId: String(scenario.coopMember), roles: ["cooperative"], active: true, country: "ID" });
    expect(member.accounts.map((account) => account.number)).to.deep.equal([2, 3]);
    expect(await getMember(db, 77n)).to.equal(null);

    const aDay = (await getLot(db, lots.a))!.created.at!.slice(0, 10);
    const xDay = (await getLot(db, lots.x))!.created.at!.slice(0, 10);
    const deliveries = await memberDeliveriesByDay(db, scenario.coopMember, { from: aDay, to: xDay, now: new Date(xDay) });
    expect(deliveries.items).to.deep.equal(
      aDay === xDay
        ? [{ day: aDay, commodity: "cocoa", form: Form.wetBeans, lots: 3, grams: "220000" }]
        : [
            { day: aDay, commodity: "cocoa", form: Form.wetBeans, lots: 1, grams: "100000" },
            { day: xDay, commodity: "cocoa", form: Form.wetBeans, lots: 2, grams: "120000" },
          ],
    );
    const paged = await memberDeliveriesByDay(db, scenario.coopMember, { from: aDay, to: xDay, limit: 1 });
    expect(paged.items).to.have.length(1);
    expect(paged.nextCursor === null).to.equal(aDay === xDay);

    const stock = await memberStockByForm(db, scenario.coopMember);
    expect(stock).to.deep.equal([
      {
        form: { id: Form.wetBeans, name: "cocoa wet beans" },
        commodity: "cocoa",
        active: { lots: 1, grams: "70000" },
        inTransit: { lots: 1, grams: "20000" },
      },
      {
        form: { id: Form.dryBeans, name: formById(Form.dryBeans)!.name },
        commodity: "cocoa",
        active: { lots: 1, grams: "40000" },
        inTransit: { lots: 0, grams: "0" },
      },
    ]);
    expect(await memberStockByForm(db, scenario.processorMember, { form: Form.wetBeans })).to.deep.equal([]);
  });
});
