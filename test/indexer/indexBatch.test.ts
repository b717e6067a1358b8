import { expect } from "chai";
import type { Database } from "../../src/db";
import { READ_MODEL_STATISTICS_TARGET } from "../../src/indexer/store/readModel";
import { analyzeReadModel, batches, blockDone, dumpReadModel, startIndexer, HistoryHeadMismatchError, IndexerCheckpointConflictError, indexBatch, type Checkpoint, type IndexedEvent } from "../../src/indexer";
import { indexBatches, type IndexBatchParameters } from "../../src/indexer/indexing/indexBatch";
import { readCheckpoint } from "../../src/indexer/store/checkpointStore";
import { ProjectionCache } from "../../src/indexer/store/loadState";
import { arrayLiteral, copyText } from "../../src/indexer/store/writeRows";
import { Role } from "../../src/membership/roles";
import { describeEachEngine } from "../helpers/engines";
import { interceptDatabase } from "../helpers/interceptDatabase";
import { rejection } from "../helpers/rejection";
import { SYNTHETIC_SOURCE } from "./indexSynthetic";
import { SyntheticChain, SyntheticForm as Form, syntheticChainReader } from "./syntheticChain";

/** Deliveries merged, handed over with offers left open across batches, dried, merged again. */
function buildChain(): SyntheticChain {
  const chain = new SyntheticChain();
  const coop = chain.account("coop");
  const processor = chain.account("processor");
  chain.addMember(Role.cooperative, [coop]);
  chain.addMember(Role.processor, [processor]);
  const dried: bigint[] = [];
  for (let group = 0; group < 4; group++) {
    const deliveries = chain.mint(coop, [0, 1, 2].map((i) => ({ form: Form.wetBeans, grams: 30_000n + BigInt(group * 10 + i) })));
    for (const lot of deliveries) chain.attachEvidence(lot, `ticket ${lot}`);
    const merged = chain.merge(deliveries);
    chain.offer(merged, processor);
    chain.attachEvidence(merged, `seal ${merged}`); // an event between offer and accept
    chain.accept(merged, chain.lots.get(merged)!.grams - 100n);
    dried.push(chain.transform([merged], [{ form: Form.dryBeans, grams: 10_000n }])[0]!);
  }
  const bulk = chain.merge(dried);
  chain.split(bulk, [15_000n, 25_000n]);
  return chain;
}

/** Indexes `events` batch by batch as the follower does, with `cache` (or none). */
async function index(db: Database, events: readonly IndexedEvent[], batchLogs: number, cache?: ProjectionCache, previous: Checkpoint | null = null): Promise<Checkpoint | null> {
  let checkpoint = previous;
  for (const batch of batches(events, batchLogs, blockDone(events.at(-1)!.blockNumber))) {
    await indexBatch(db, { schema: "public", source: SYNTHETIC_SOURCE, previous: checkpoint, next: batch.next, events: batch.events, cache });
    checkpoint = batch.next;
  }
  return checkpoint;
}

describeEachEngine("indexBatch", (engine) => {
  const chain = buildChain();
  let reference: Record<string, string[]>;
  const opened: Database[] = [];
  const fresh = async () => {
    const db = await engine.openMigrated();
    opened.push(db);
    return db;
  };

  before(async () => {
    const db = await fresh();
    await index(db, chain.events, 3); // no cache: every batch reads what it touches
    reference = await dumpReadModel(db);
  });
  after(async () => {
    for (const db of opened) await db.close();
  });

  it("keeps the state between batches in a cache and writes exactly the rows a batch that reads it all writes", async () => {
    const db = await fresh();
    const cache = new ProjectionCache();
    await index(db, chain.events, 3, cache);
    expect(await dumpReadModel(db)).to.deep.equal(reference);
    expect(cache.lots.size).to.be.greaterThan(0);
    for (const lot of cache.lots.values()) expect(lot.status, `cached lot ${lot.lotId}`).to.not.equal("consumed");
  });

  it("forgets a consumed lot only once its consumption has committed (a batch projected ahead may have consumed it)", async () => {
    const db = await fresh();
    const cache = new ProjectionCache();
    await index(db, chain.events, 3, cache);
    const lot = [...cache.lots.values()][0]!;
    const consumedAt = lot.updatedPosition;
    lot.status = "consumed";
    lot.consumedPosition = consumedAt;
    const before = "0".repeat(consumedAt.length); // a checkpoint before every position
    expect(before < consumedAt).to.equal(true);
    cache.forgetConsumed([lot], before);
    expect(cache.lots.has(lot.lotId), "consumed by a batch not yet committed").to.equal(true);
    cache.forgetConsumed([lot], consumedAt);
    expect(cache.lots.has(lot.lotId)).to.equal(false);
  });

  it("forgets the oldest lots past its bound and reads them again when an event needs them", async () => {
    const db = await fresh();
    const cache = new ProjectionCache(2);
    await index(db, chain.events, 2, cache);
    expect(cache.lots.size).to.be.at.most(2);
    expect(await dumpReadModel(db)).to.deep.equal(reference);
  });

  it("empties the cache when a batch fails, writes nothing of it, and resumes to the same read model", async () => {
    const db = await fresh();
    const cache = new ProjectionCache();
    const cut = chain.events.findIndex((event) => event.type === "HandoverAccepted");
    const checkpoint = await index(db, chain.events.slice(0, cut), 4, cache);
    const before = await dumpReadModel(db);
    // A good accept changes the cached lot, then the drying that follows carries a forged head.
    const [accepted, dried] = [chain.events[cut]!, chain.events[cut + 1]!];
    expect(dried.type).to.equal("LotsDerived");
    const forged = { ...dried, inputHeads: [`0x${"ab".repeat(32)}`] } as IndexedEvent;
    let failure: unknown;
    try {
      await indexBatch(db, { schema: "public", source: SYNTHETIC_SOURCE, previous: checkpoint, next: dried.position, events: [accepted, forged], cache });
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(HistoryHeadMismatchError);
    expect(cache.lots.size).to.equal(0);
    expect(cache.forms).to.equal(null);
    expect(await dumpReadModel(db)).to.deep.equal(before);
    await index(db, chain.events.slice(cut), 4, cache, checkpoint);
    expect(await dumpReadModel(db)).to.deep.equal(reference);
  });

  /** The batches of `events` as the follower hands them to indexBatches. */
  const batchList = (events: readonly IndexedEvent[], batchLogs: number, previous: Checkpoint | null = null): IndexBatchParameters[] => {
    const list: IndexBatchParameters[] = [];
    for (const batch of batches(events, batchLogs, blockDone(events.at(-1)!.blockNumber))) {
      list.push({ schema: "public", source: SYNTHETIC_SOURCE, previous, next: batch.next, events: batch.events });
      previous = batch.next;
    }
    return list;
  };

  it("pipelined: reads each batch's rows before the write ahead of it is sent, never beside it, and writes exactly the rows of batch-by-batch indexing", async () => {
    const db = await fresh();
    const log: string[] = [];
    let writing = false;
    const watched: Database = {
      engine: db.engine,
      async query(sql, params) {
        if (writing) throw new Error(`a read beside a write: ${sql}`);
        log.push("read");
        return db.query(sql, params);
      },
      async batch(statements) {
        log.push("write");
        writing = true;
        try {
          return await db.batch(statements);
        } finally {
          writing = false;
        }
      },
      exec: (sql) => db.exec(sql),
      transaction: (fn) => db.transaction(fn),
      listen: (channel, onNotify) => db.listen(channel, onNotify),
      close: () => db.close(),
    };
    const list = batchList(chain.events, 3);
    expect(list.length).to.be.greaterThan(2);
    const committed: string[] = [];
    const cache = new ProjectionCache();
    await indexBatches(watched, list, cache, (batch) => committed.push(batch.next));
    expect(committed).to.deep.equal(list.map((batch) => batch.next));
    // Consumed lots left the cache as their batches committed (the run's end forgets none itself).
    expect([...cache.lots.values()].filter((lot) => lot.status === "consumed")).to.deep.equal([]);
    expect(await dumpReadModel(db)).to.deep.equal(reference);
    expect(await readCheckpoint(db, "public", SYNTHETIC_SOURCE)).to.equal(list.at(-1)!.next);
    expect(log.filter((entry) => entry === "write")).to.have.length(list.length);
    // The last batch (a split: its outputs are read, not cached) read what it lacks before the
    // write ahead of it went out, so nothing is read between the last two writes.
    const lastWrite = log.lastIndexOf("write");
    expect(log.slice(log.lastIndexOf("write", lastWrite - 1), lastWrite)).to.not.include("read");
    expect(log.slice(0, log.lastIndexOf("write", lastWrite - 1))).to.include("read");
  });

  it("pipelined: a batch whose projection fails while the one before it is written writes nothing; the one before commits; the cache is emptied", async () => {
    const db = await fresh();
    const cut = chain.events.findIndex((event) => event.type === "HandoverAccepted");
    const dried = chain.events[cut + 1]!;
    expect(dried.type).to.equal("LotsDerived");
    const forged = [...chain.events.slice(0, cut + 1), { ...dried, inputHeads: [`0x${"ab".repeat(32)}`] } as IndexedEvent];
    const list = batchList(forged, 4);
    expect(list.length).to.be.greaterThan(2);
    const alone = await fresh();
    await indexBatches(alone, list.slice(0, -1), new ProjectionCache(), () => {});
    const cache = new ProjectionCache();
    const committed: string[] = [];
    const failure = await rejection(indexBatches(db, list, cache, (batch) => committed.push(batch.next)));
    expect(failure).to.be.instanceOf(HistoryHeadMismatchError);
    expect(committed).to.deep.equal(list.slice(0, -1).map((batch) => batch.next));
    expect(cache.lots.size).to.equal(0);
    expect(cache.forms).to.equal(null);
    expect(await dumpReadModel(db)).to.deep.equal(await dumpReadModel(alone));
  });

  it("the follower's catch-up is one pipeline across pages: each page read once, in order, the next one read while a batch is written, never a read of the database beside a write", async () => {
    const db = await fresh();
    const reads: Array<{ from: number; to: number; duringWrite: boolean }> = [];
    let writing = false;
    const watched = interceptDatabase(db, {
      query(sql) {
        if (writing) throw new Error(`a read beside a write: ${sql}`);
      },
    });
    const timedBatch = watched.batch;
    watched.batch = async (statements) => {
      writing = true;
      try {
        // Long enough for the next page's read to be sent meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await timedBatch(statements);
      } finally {
        writing = false;
      }
    };
    const reader = syntheticChainReader(chain.events, SYNTHETIC_SOURCE.lotRegistry.address);
    const counted: typeof reader = {
      ...reader,
      getLogs: (range) => {
        reads.push({ from: range.fromBlock, to: range.toBlock, duringWrite: writing });
        return reader.getLogs(range);
      },
    };
    const pageBlocks = 3;
    const indexer = startIndexer({ db: watched, chain: counted, source: SYNTHETIC_SOURCE, pageBlocks, batchLogs: 2, pollIntervalMs: 0, stopAt: "head" });
    await indexer.done;
    expect(await dumpReadModel(db)).to.deep.equal(reference);
    // Pages back to back from the first block to the head, each read once.
    const first = reads[0]!.from; // the source's start block
    expect(first).to.be.at.most(chain.events[0]!.blockNumber);
    for (let index = 1; index < reads.length; index++) expect(reads[index]!.from, `page ${index}`).to.equal(reads[index - 1]!.to + 1);
    expect(reads.at(-1)!.to).to.equal(chain.events.at(-1)!.blockNumber);
    expect(reads.length).to.equal(Math.ceil((chain.events.at(-1)!.blockNumber - first + 1) / pageBlocks));
    expect(reads.filter((read) => read.duringWrite).length, "pages read while a batch was written").to.be.greaterThan(reads.length / 2);
  });

  it("a page read ahead that fails: the batches before it commit, the follower backs off, reads it again and ends with the same read model", async () => {
    const db = await fresh();
    const reader = syntheticChainReader(chain.events, SYNTHETIC_SOURCE.lotRegistry.address);
    let pages = 0;
    let failedAt: number | null = null;
    const flaky: typeof reader = {
      ...reader,
      getLogs: async (range) => {
        pages += 1;
        if (pages === 4) {
          failedAt = range.fromBlock;
          throw new Error("the node dropped the connection");
        }
        return reader.getLogs(range);
      },
    };
    const retries: Array<number | null> = [];
    const logger = {
      info() {},
      error() {},
      // At the back-off: what was committed before the failed page.
      warn: (_object: object, message: string) => void (message === "indexer retrying" && retries.push(indexer.status().indexedBlock)),
    };
    const indexer = startIndexer({ db, chain: flaky, source: SYNTHETIC_SOURCE, pageBlocks: 3, batchLogs: 2, pollIntervalMs: 0, backoff: { initialMs: 10, maxMs: 10 }, stopAt: "head", logger });
    await indexer.done;
    expect(retries, "one back-off, with every block before the failed page indexed").to.deep.equal([failedAt! - 1]);
    expect(failedAt).to.not.equal(null);
    expect(await dumpReadModel(db)).to.deep.equal(reference);
  });

  it("refreshes the statistics as the read model doubles, not every fixed number of rows, and on reaching the head", async () => {
    const db = await fresh();
    let analyses = 0;
    const counting = interceptDatabase(db, {});
    counting.exec = async (sql) => {
      if (/^analyze "public"\."lots" /m.test(sql)) analyses += 1;
      return db.exec(sql);
    };
    let rows = 0;
    const every = 5;
    const indexer = startIndexer({ db: counting, chain: syntheticChainReader(chain.events, SYNTHETIC_SOURCE.lotRegistry.address), source: SYNTHETIC_SOURCE, pageBlocks: 1, batchLogs: 1, pollIntervalMs: 0, stopAt: "head", analyzeEveryRows: every });
    await indexer.done;
    for (const rowsOfTable of Object.values(await dumpReadModel(db))) rows += rowsOfTable.length;
    expect(await dumpReadModel(db)).to.deep.equal(reference);
    // At 5 rows, then each time the rows written doubled, then at the head: about log2(rows / 5) + 2.
    expect(rows / every).to.be.greaterThan(15);
    expect(analyses).to.be.within(2, Math.ceil(Math.log2(rows / every)) + 2);
  });

  it("analyzes the hash and position columns of lots and lot_events without statistics, and every column queries filter on with them", async () => {
    const db = await fresh();
    await index(db, chain.events, 10);
    await analyzeReadModel(db, "public");
    const { rows } = await db.query<{ tablename: string; attname: string }>("select tablename, attname from pg_stats where schemaname = 'public' and tablename in ('lots', 'lot_events')");
    const columns = (table: string) => rows.filter((row) => row.tablename === table).map((row) => row.attname);
    expect(columns("lots")).to.include.members(["lot_id", "status", "custodian_member", "form", "creator_member", "metadata", "created_at"]);
    expect(columns("lots")).to.not.include.members(["head"]);
    expect(columns("lots")).to.not.include("created_tx");
    expect(columns("lot_events")).to.include.members(["lot_id", "kind", "position"]);
    expect(columns("lot_events")).to.not.include("head");
  });

  it("samples with a statistics target of 20 that ends with the analysis, and leaves no transaction open when it fails", async () => {
    const db = await fresh();
    await index(db, chain.events, 10);
    await db.exec(`insert into lots (lot_id, commodity, form, grams, quality, status, custodian, custodian_member, creator, creator_member, genesis, metadata, origin, head, event_count, created_position, created_block, created_tx, created_at, updated_position)
      select 1000000 + n, 1, 1, n, 0, 'active', '0x00', 1, '0x00', 1, 'minted', '0x00', '0x00', '0x00', 1, lpad(n::text, 20, '0'), 1, '0x00', now(), lpad(n::text, 20, '0') from generate_series(1, 500) n`);
    await analyzeReadModel(db, "public");
    const { rows } = await db.query<{ bounds: number }>("select array_length(histogram_bounds, 1) as bounds from pg_stats where schemaname = 'public' and tablename = 'lots' and attname = 'grams'");
    expect(rows[0]!.bounds).to.be.within(2, READ_MODEL_STATISTICS_TARGET + 1);
    expect((await db.query<{ default_statistics_target: string }>("show default_statistics_target")).rows[0]!.default_statistics_target).to.equal("100");

    await db.exec("alter table lot_edges rename to lot_edges_away");
    const failed = await analyzeReadModel(db, "public").then(() => null, (error: unknown) => error);
    await db.exec("alter table lot_edges_away rename to lot_edges");
    expect(String(failed)).to.match(/lot_edges/);
    expect((await db.query<{ default_statistics_target: string }>("show default_statistics_target")).rows[0]!.default_statistics_target).to.equal("100");
    expect((await db.query<{ n: number }>("select 1 as n")).rows[0]!.n).to.equal(1);
  });

  describe("when another writer moves the checkpoint", () => {
    const [firstBatch, secondBatch] = [...batches(chain.events, 4, blockDone(chain.events.at(-1)!.blockNumber))];
    const write = (db: Database, previous: Checkpoint | null, batch: typeof firstBatch, cache?: ProjectionCache) =>
      indexBatch(db, { schema: "public", source: SYNTHETIC_SOURCE, previous, next: batch!.next, events: batch!.events, cache });
    /** `db`, where `rival` writes just before this indexer's own writes go out: after it read the checkpoint and the state. */
    const overtakenBy = (db: Database, rival: () => Promise<unknown>): Database => {
      let raced = false;
      return interceptDatabase(db, {
        async batch() {
          if (raced) return;
          raced = true;
          await rival();
        },
      });
    };

    it("refuses a batch that follows an older checkpoint, writing nothing", async () => {
      const db = await fresh();
      await write(db, null, firstBatch);
      await write(db, firstBatch!.next, secondBatch);
      const before = await dumpReadModel(db);
      const error = await rejection(write(db, firstBatch!.next, secondBatch));
      expect(error).to.be.instanceOf(IndexerCheckpointConflictError);
      expect((error as Error).message).to.include(secondBatch!.next);
      expect(await dumpReadModel(db)).to.deep.equal(before);
    });

    it("rolls the whole batch back when the checkpoint moves between its reads and its writes", async () => {
      const db = await fresh();
      await write(db, null, firstBatch);
      const cache = new ProjectionCache();
      // The rival writes the same batch first: what this indexer read is stale by the time it writes.
      const error = await rejection(write(overtakenBy(db, () => write(db, firstBatch!.next, secondBatch)), firstBatch!.next, secondBatch, cache));
      expect(error).to.be.instanceOf(IndexerCheckpointConflictError);
      expect((error as Error).message).to.include(`found ${secondBatch!.next}`);
      expect(cache.lots.size).to.equal(0);
      // Exactly the rival's rows: none of this batch's were written twice (lot_events would hold duplicates).
      const alone = await fresh();
      await write(alone, null, firstBatch);
      await write(alone, firstBatch!.next, secondBatch);
      expect(await dumpReadModel(db)).to.deep.equal(await dumpReadModel(alone));
      expect(await readCheckpoint(db, "public", SYNTHETIC_SOURCE)).to.equal(secondBatch!.next);
    });

    it("lets only one of two racing first batches write", async () => {
      const db = await fresh();
      const error = await rejection(write(overtakenBy(db, () => write(db, null, firstBatch)), null, firstBatch));
      expect(error).to.be.instanceOf(IndexerCheckpointConflictError);
      const alone = await fresh();
      await write(alone, null, firstBatch);
      expect(await dumpReadModel(db)).to.deep.equal(await dumpReadModel(alone));
    });
  });

  it("array literals carry any text: quotes, backslashes, braces, commas, spaces, NULL as a word, empty, unicode", async () => {
    const db = await fresh();
    const values = ['a"b', "c\\d", "{e}", "f,g", " h ", "NULL", "", "caf\u00e9 \u{1F36B}", null, '\\"', '{"kind":"minted","ids":["1","2"]}'];
    const column = { name: "value", type: "text", value: (row: string | null) => row };
    const { rows } = await db.query<{ value: string | null }>("select unnest($1::text[]) as value", [arrayLiteral(values, column)]);
    expect(rows.map((row) => row.value)).to.deep.equal(values);
    const numbers = { name: "value", type: "int8", value: (row: bigint | null) => (row === null ? null : row.toString()) };
    const { rows: ints } = await db.query<{ value: bigint | null }>("select unnest($1::int8[]) as value", [arrayLiteral([1n, null, 2n ** 62n], numbers)]);
    expect(ints.map((row) => row.value)).to.deep.equal([1n, null, 2n ** 62n]);
    const flags = { name: "value", type: "bool", value: (row: boolean) => row };
    const { rows: bools } = await db.query<{ value: boolean }>("select unnest($1::bool[]) as value", [arrayLiteral([true, false], flags)]);
    expect(bools.map((row) => row.value)).to.deep.equal([true, false]);
  });

  it("COPY rows carry any text: tabs, newlines, carriage returns, backslashes, \\N and NULL as words, empty, unicode", async () => {
    const db = await fresh();
    await db.exec("create table copy_probe (id serial primary key, n int8, flag bool, value text)");
    const values = ["a\tb", "c\nd", "e\r\nf", "g\\h", "\\N", "NULL", "", "caf\u00e9 \u{1F36B}", null, '{"kind":"minted","memo":"a\\tb"}', "\\."];
    const rows = values.map((value, index) => ({ n: index % 2 === 0 ? BigInt(index) * 2n ** 58n : null, flag: index % 3 === 0, value }));
    const columns = [
      { name: "n", type: "int8", value: (row: (typeof rows)[number]) => (row.n === null ? null : row.n.toString()) },
      { name: "flag", type: "bool", value: (row: (typeof rows)[number]) => row.flag },
      { name: "value", type: "text", value: (row: (typeof rows)[number]) => row.value },
    ];
    await db.batch([{ sql: "copy copy_probe (n, flag, value) from stdin", copyRows: new TextEncoder().encode(copyText(rows, columns)), expectRows: rows.length }]);
    const { rows: back } = await db.query<{ n: bigint | null; flag: boolean; value: string | null }>("select n, flag, value from copy_probe order by id");
    expect(back).to.deep.equal(rows);
  });
});
