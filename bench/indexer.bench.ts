/**
 * Indexer throughput and ancestry latency, on PGlite (the embedded default) and PostgreSQL (when
 * its server binaries are installed; a throwaway cluster is started).
 *
 * 1. Indexing, synthetic: 100,000 registry events (a first-mile mix: single-delivery mints,
 *    weigh-ticket evidence, merges of 10, handovers, drying and grinding transforms) with correct
 *    history heads, encoded as the registry's logs and served by an in-memory node. The follower
 *    runs its whole path on them: eth_getLogs pages (1,000 blocks), ABI decoding, projection with
 *    every head recomputed by the shared twin, multi-row writes and the checkpoint per batch.
 *    "events" are registry events (logs); "lot events" are rows of lot_events (a merge of 10 is
 *    one event and 11 lot events).
 * 2. Rebuild of the same chain into a fresh schema, swapped in.
 * 3. Real chain, end to end: `firstmile index rebuild` as a user runs it (its own process: the
 *    TypeScript loaded, PGlite opened on the data dir, migrations checked, the chain read over
 *    JSON-RPC from a running anvil, the tables swapped in), on one season's traffic: 40 mintBatch
 *    of 500, 5,000 evidence attachments, 500 merges of 10, 3,000 handovers offered and accepted
 *    (20,114 registry logs; bench/realChain.ts builds the chain once and keeps it under
 *    bench/out/real-chain). Wall clock, CPU time and the command's peak resident memory, its
 *    whole process tree sampled from /proc (bench/peakRss.js); anvil runs beside it, as a user's
 *    node does, and is not counted.
 * 4. Ancestry: chocolate bars made from 10, 100 and 1,000 deliveries (merged by 10, handed over,
 *    dried, merged by 10, exported, merged, ground to nibs, liquor, chocolate, split into bars):
 *    p50/p99 of getLotDag(ancestors) over 200 calls after 20 warm-up calls, as GET
 *    /v1/lots/:id/ancestry answers it: the whole DAG walked and aggregated in SQL (totals, paths,
 *    shares), its first page of nodes returned, at the default page size (50) and the largest (500).
 *    Measured first, before the 100k workload is built, so its heap does not add GC pauses.
 *
 * Hashing: as the gateway does it (src/chain/nativeKeccak.ts: the native keccak addon when it is
 * installed, else ethers' JavaScript keccak); INDEXER_BENCH_KECCAK=js measures the JavaScript one.
 *
 * Where the time goes (20k events, CPU profile): PostgreSQL's own work (in PGlite's WASM) is the
 * largest part, then getting the parameters to it, garbage collection, decoding, head hashing and
 * projection. What was cut: the follower keeps the rows its last batches touched (a batch loads
 * only what it lacks, instead of re-reading every lot, account and member it touches); array
 * parameters go as one literal each instead of through the drivers' element-by-element escaping;
 * lots and handovers created in the batch are inserted without the upsert's conflict check;
 * native keccak through the addon's sponge rather than a Node stream per hash. Larger pages
 * (5,000 blocks) did not measurably help, so the defaults stay.
 *
 * Figures, 100k events, on a 2-core machine shared with other jobs (load 1 to 12), so wall-clock
 * figures swing by half from run to run: before these changes 2,262 events/s on PGlite and 2,452
 * on PostgreSQL; after, three runs, 2,770 (beside a test suite) / 3,663 / 4,315 events/s on PGlite
 * and 3,976 / 4,801 / 5,453 on PostgreSQL; rebuild 22-25 s (PGlite), 16-24 s (PostgreSQL);
 * ancestry of 1,000 origins p99 24-26 ms on PGlite, 18 ms on PostgreSQL (107-139 ms beside the
 * test suite). Same-load A/B on 20k events, process CPU time: 5.4 / 7.2 s before, 4.7 / 6.3 s after.
 *
 * Then: a rebuild builds its secondary indexes once over the loaded rows (in the swap's
 * transaction) instead of row by row; on PGlite each batch is projected while the one before it is
 * written (PGlite's worker thread beside the follower's); `index rebuild` hashes with the native
 * keccak. Same-load A/B, 20k events, PGlite on its worker thread (load 3 to 7): 3,113 / 3,515
 * events/s before, 3,841 / 5,598 after; rebuild of 20k 6.0 / 4.5 s before, 4.3 / 3.9 s after;
 * process CPU for both 11.5 / 10.0 s before, 8.8 / 6.9 s after. On PostgreSQL the overlap measured
 * no gain (client CPU 1.7-2.2 s before, 2.1-2.3 s with it, wall within the noise), so it stays off
 * there. Real chain (20,114 registry logs), end to end: 14.4 / 15.1 / 17.6 s, CPU 9.7 / 10.5 / 11.7
 * s, peak RSS 680 / 745 / 685 MB (load 5 to 9); the same chain under load 12 to 19: before, 87 /
 * 106 s and 25.0 / 17.8 s CPU; with the deferred indexes and native keccak, 64 / 81 s and 15.8 /
 * 15.7 s CPU. 100k events beside a type check and a test suite (load 5 to 15): PGlite 934
 * events/s, rebuild 42.6 s; PostgreSQL 5,676 events/s, rebuild 13.9 s.
 *
 * Then, where the time went (20k events, CPU profiles of both threads, PGlite; the real chain's
 * `index rebuild` timed per request on PGlite's thread): PGlite's thread was the busier one, and
 * of its statements the `insert ... select from unnest(...)` of new rows took most (lot_events,
 * lots, lot_edges, lot_evidence), plus its driver sizing each multi-megabyte array parameter
 * character by character in JavaScript. On the follower's thread: projection (history-head
 * hashing about half of it), building the statements, decoding. The real chain's run also spends
 * 1.5 s opening PGlite, 1.4 s replaying the read-model migrations into the build schema (each
 * relation is a set of files through Emscripten's node file system) and about 1 s in ANALYZE
 * after the swap (lots alone 0.6 s).
 * What was cut: new rows (tables without a key, and lots and handovers created in the batch) go
 * in one COPY per table, as bytes (PGlite reads them from /dev/blob, PostgreSQL through pg's
 * copy-in); upserts stay multi-row. `index rebuild` no longer loads pg or the embedded chain's
 * deployment code unless it uses them. Same-load A/B (load 5 to 10, the machine shared; wall
 * clock swung 3x between runs, so CPU is the figure), 20k events: PGlite, statement time on its
 * thread for index + rebuild 7.1 s before, 2.7 s after (lot_events 2.8 -> 0.96 s, lots 2.3 ->
 * 0.9 s); process CPU in three interleaved pairs, index 4.1 / 4.4 / 6.2 s before, 4.3 / 2.9 /
 * 6.0 s after, rebuild 4.1 / 3.9 / 6.6 s before, 3.6 / 2.9 / 4.7 s after. PostgreSQL, two pairs:
 * server CPU index 1.87 / 1.22 s before, 1.18 / 1.00 s after, rebuild 1.56 / 1.41 s before,
 * 0.92 / 0.84 s after; client CPU within the noise (1.8-3.3 s). Real chain, two runs each (load
 * 6): CPU 13.3 / 11.6 s before, 10.6 / 11.5 s after; peak RSS 710 / 715 MB before, 640 / 627 MB
 * after (no array literal of every column held as one string). The full run after (100k
 * events, load 8 to 17 from other jobs): PGlite 2,039 events/s, rebuild 98 s; PostgreSQL 798
 * events/s, rebuild 77 s; real chain 84 / 17.5 / 13.8 s, CPU 14.5 / 12.5 / 12.6 s, peak RSS 642
 * / 605 / 666 MB. These wall figures measure the load more than the code (ancestry p50 of 10
 * origins was 54 ms in that run, 11 ms on a quieter machine). Run again at load 3.4 to 5: PGlite
 * 4,390 events/s, rebuild 18.8 s; PostgreSQL 6,044 events/s, rebuild 13.9 s; real chain 12.6 /
 * 20.3 / 11.0 s, CPU 11.1 / 12.9 / 11.0 s, peak RSS 646 / 649 / 648 MB.
 * Levers not yet taken: the rebuild's build schema created without the secondary indexes it
 * then drops, ANALYZE limited to the columns the queries filter on, the upserts of changed lots
 * through COPY into a temporary table, head hashing in batches in the native addon.
 *
 * Then, where the time went (100k events, PGlite, each request timed on its worker thread and a
 * CPU profile of the caller's thread, index phase only): the synthetic chain puts one log in each
 * block, so a page of 1,000 blocks was one batch, and the pipeline, which overlapped only the
 * batches of one page, never overlapped anything: the caller (decoding, projection, statements:
 * 7.3 s busy) and the worker (writes 4.3 s, ANALYZE 2.4 s) took turns. ANALYZE ran every 100k rows
 * over every column, four times in the run. What changed: a catch-up is one pipeline across pages
 * (the next page read ahead while this one is cut, decoded while a batch is written); ANALYZE
 * after 100k rows then each time the rows doubled, at the head only after half as many again, and
 * never on the hash and position columns; history heads written straight into one buffer and
 * hashed by the addon with Node's hex encoding (150k folds 1.50 -> 1.16 s). Quiet machine, same
 * day: index 100k 12.1-13.5 s before, 6.9-8.6 s after (PGlite); rebuild 9.9-12.1 s before,
 * 6.4-7.8 s after. The caller's thread is now busy about 5 s of a 7 s run, the worker about as
 * long: the two overlap, and the process uses 1.6 of the 2 cores.
 *
 * CPU: each index run also reports the CPU time of everything that did its work (this process's
 * threads, PGlite's worker among them; on PostgreSQL also the server's processes, the postmaster
 * of this connection's backend and its children, from /proc: bench/cpuTime.ts) and the rate that
 * CPU would allow with every core busy the whole run (`events_per_s_all_cores`), the ceiling of
 * `events_per_s` on this machine for this code. Then the heads were hashed from bytes (each value
 * written into the hash's buffer, the digest passed to the fold as bytes): the gateway's CPU per
 * 100k on PostgreSQL 6.1-6.2 s before, 4.9-5.5 s after, in three interleaved pairs. And PGlite's
 * COPYs read their rows from a file of its in-memory file system instead of `/dev/blob` (which
 * copies them into PostgreSQL's buffer byte by byte in JavaScript): 100k on PGlite, three
 * interleaved pairs, 5.42-5.77 s before, 5.16-5.61 s after.
 *
 * Then (5 December): the synthetic node keeps each log as the JSON text of an `eth_getLogs` answer
 * and a page goes through the JSON-RPC reader's `chainLogsOf` (it had served ethers' hex strings,
 * ropes of two-character pieces: 666 MB of heap that every full collection marked and decoding
 * flattened, where a real node's answer is parsed into flat strings and dropped with its page),
 * and only the node's answers are held while indexing; the gateway runs with a 64 MB young
 * generation (GATEWAY_NODE_FLAGS, also on this script); timestamps are formatted from digit
 * tables; lot_evidence lost its unused digest index. 100k events on PGlite, three interleaved
 * runs: 5.0 to 5.2 s with the default young generation, 4.3 to 4.5 s with 64 MB. The full run
 * after: 22,431 / 22,970 events/s (PGlite / PostgreSQL), CPU 7.3 / 5.1 s. docs/indexer.md has
 * the figures of each change and what was measured and not taken.
 *
 * Run: npm run bench:indexer   (prints a table, writes bench/out/indexer.json; never fails on figures)
 * PGlite runs on its worker thread, as the gateway and the CLI open it (INDEXER_BENCH_PGLITE_THREAD=main
 * for the caller's thread).
 * Smaller runs: INDEXER_BENCH_EVENTS=20000, INDEXER_BENCH_POSTGRES=0, INDEXER_BENCH_REAL_CHAIN=0.
 * The real-chain mode alone: INDEXER_BENCH_SYNTHETIC=0 (writes bench/out/indexer-real-chain.json);
 * INDEXER_BENCH_REAL_RUNS=N runs (default 3); INDEXER_BENCH_CLI_ROOT=<checkout> runs another
 * checkout's CLI on the same chain (before/after comparisons).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { DEFAULTS, GATEWAY_NODE_FLAGS } from "../src/config";
import { startEmbeddedNode } from "../src/chain/embeddedChain";
import { migrate, openPglite, openPostgres, type Database } from "../src/db";
import { rebuildIndex, startIndexer } from "../src/indexer";
import { getLotDag } from "../src/indexer/queries";
import { Role } from "../src/membership/roles";
import { useNativeKeccak } from "../src/chain/nativeKeccak";
import { SYNTHETIC_SOURCE } from "../test/indexer/indexSynthetic";
import { SyntheticForm as Form, syntheticChainReader } from "../test/indexer/syntheticChain";
import { freePort } from "../test/helpers/ports";
import { findPostgresBinaries, startPostgres, type PostgresServer } from "../test/helpers/postgres";
import { chainWithMembers, countLotEvents, firstMileWorkload } from "./firstMileWorkload";
import { copyTemplate, realChainTemplate } from "./realChain";
import { ownCpuSeconds, parentPid, processTreeCpuSeconds } from "./cpuTime";
import { printTable, writeFigures } from "./report";

const EVENTS = Number(process.env.INDEXER_BENCH_EVENTS ?? 100_000);
const pgliteThread = process.env.INDEXER_BENCH_PGLITE_THREAD === "main" ? "main" : "worker";
// The gateway's defaults (FIRSTMILE_INDEXER_PAGE_BLOCKS, FIRSTMILE_INDEXER_BATCH_LOGS).
const PAGE_BLOCKS = DEFAULTS.indexerPageBlocks;
const BATCH_LOGS = DEFAULTS.indexerBatchLogs;
const ORIGINS = [10, 100, 1_000] as const;
const CORES = os.availableParallelism();
const CALLS = 200;
const WARMUP = 20;

/** `cpuSeconds`: CPU used so far by everything that does the engine's work (see the header). */
type EngineRun = { name: "pglite" | "postgres"; open(): Promise<Database>; cpuSeconds(db: Database): Promise<number>; cleanup(): Promise<void> };

/** The chocolate bars' chain as the synthetic node serves it, and each bar's lot id by its number of origins. */
function chocolateBarChain() {
  const dags = chocolateBars();
  return { bars: dags.bars, dagReader: syntheticChainReader(dags.chain.events, SYNTHETIC_SOURCE.lotRegistry.address) };
}

/** The first-mile workload of `count` events as the synthetic node serves it, and its counts. */
function syntheticWorkload(count: number) {
  const workload = firstMileWorkload(count);
  const lotEvents = countLotEvents(workload.events);
  console.log(`${workload.events.length} events, ${lotEvents} lot events, ${workload.lots} lots`);
  return { reader: syntheticChainReader(workload.events, SYNTHETIC_SOURCE.lotRegistry.address), events: workload.events.length, lotEvents };
}

async function main() {
  const keccak = process.env.INDEXER_BENCH_KECCAK === "js" ? "js" : useNativeKeccak() ? "native" : "js";
  console.log(`keccak: ${keccak}`);
  const workRoot = process.env.INDEXER_BENCH_DIR ?? path.join(__dirname, "out");
  fs.mkdirSync(workRoot, { recursive: true }); // a fresh clone has no bench/out yet
  const work = fs.mkdtempSync(path.join(workRoot, "indexer-"));
  if (process.env.INDEXER_BENCH_SYNTHETIC === "0") {
    // The real-chain mode alone: its own figures file, the full run's left as it is.
    try {
      const real = await realChainRebuild(work, Number(process.env.INDEXER_BENCH_REAL_RUNS ?? 3));
      printTable(["figure", "value"], realChainRows(real));
      console.log(`\nwrote ${writeFigures("indexer-real-chain", realChainFigures(real))}`);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const engines: EngineRun[] = [];
  let pgliteCount = 0;
  engines.push({
    name: "pglite",
    open: async () => {
      // On its worker thread, as the gateway and the CLI open it (FIRSTMILE_DATABASE_THREAD's default).
      const db = await openPglite({ dir: path.join(work, `pglite-${++pgliteCount}`), thread: pgliteThread });
      await migrate(db);
      return db;
    },
    // PGlite runs on a thread of this process.
    cpuSeconds: async () => ownCpuSeconds(),
    cleanup: async () => {},
  });
  const bin = process.env.INDEXER_BENCH_POSTGRES === "0" ? null : findPostgresBinaries();
  let server: PostgresServer | null = null;
  if (bin) {
    server = await startPostgres(bin);
    let databases = 0;
    engines.push({
      name: "postgres",
      open: async () => {
        const name = `bench_${++databases}`;
        const admin = new pg.Client({ connectionString: server!.url });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        const db = await openPostgres({ url: server!.urlFor(name) });
        await migrate(db);
        return db;
      },
      // This process, and the server: the postmaster (the parent of this connection's backend) and its children.
      cpuSeconds: async (db) => {
        const { rows } = await db.query<{ pid: number }>("select pg_backend_pid() as pid");
        const postmaster = parentPid(Number(rows[0]!.pid));
        if (postmaster === null) throw new Error("cannot find the PostgreSQL server's process");
        return ownCpuSeconds() + processTreeCpuSeconds(postmaster);
      },
      cleanup: async () => {},
    });
  } else {
    console.warn("PostgreSQL binaries not found: PGlite only");
  }

  try {
    console.log("building the chocolate-bar DAGs...");
    const { bars, dagReader } = chocolateBarChain();
    const results: Record<string, Record<string, number>> = {};
    for (const engine of engines) {
      const figures: Record<string, number> = {};
      results[engine.name] = figures;
      const dagDb = await engine.open();
      try {
        console.log(`[${engine.name}] ancestry...`);
        await startIndexer({ db: dagDb, chain: dagReader, source: SYNTHETIC_SOURCE, pageBlocks: PAGE_BLOCKS, batchLogs: BATCH_LOGS, pollIntervalMs: 0, stopAt: "head" }).done;
        for (const origins of ORIGINS) {
          const bar = bars.get(origins)!;
          const check = (await getLotDag(dagDb, bar, { direction: "ancestors" }))!;
          if (check.total < origins) throw new Error(`the bar of ${origins} deliveries has ${check.total} ancestors`);
          figures[`ancestry_${origins}_nodes`] = check.total;
          for (const [label, limit] of [["", undefined], ["_page500", 500]] as const) {
            const times: number[] = [];
            for (let call = 0; call < WARMUP + CALLS; call++) {
              const t0 = performance.now();
              await getLotDag(dagDb, bar, { direction: "ancestors", limit });
              if (call >= WARMUP) times.push(performance.now() - t0);
            }
            times.sort((a, b) => a - b);
            figures[`ancestry_${origins}${label}_p50_ms`] = times[Math.floor(times.length * 0.5)]!;
            figures[`ancestry_${origins}${label}_p99_ms`] = times[Math.ceil(times.length * 0.99) - 1]!;
          }
        }
      } finally {
        await dagDb.close();
      }
    }

    console.log(`building ${EVENTS} synthetic events with their heads...`);
    // Only the node's answers stay: a gateway does not hold the chain's events while it indexes them.
    const { reader, events, lotEvents } = syntheticWorkload(EVENTS);
    for (const engine of engines) {
      const figures = results[engine.name]!;
      const db = await engine.open();
      try {
        console.log(`[${engine.name}] indexing...`);
        const cpuBefore = await engine.cpuSeconds(db);
        let started = performance.now();
        const indexer = startIndexer({ db, chain: reader, source: SYNTHETIC_SOURCE, pageBlocks: PAGE_BLOCKS, batchLogs: BATCH_LOGS, pollIntervalMs: 0, stopAt: "head" });
        await indexer.done;
        const seconds = (performance.now() - started) / 1000;
        figures.events_per_s = events / seconds;
        figures.lot_events_per_s = lotEvents / seconds;
        figures.index_s = seconds;
        figures.index_cpu_s = (await engine.cpuSeconds(db)) - cpuBefore;
        // The rate if every core were busy with it the whole time: what the work itself allows here.
        figures.events_per_s_all_cores = events / (figures.index_cpu_s / CORES);

        console.log(`[${engine.name}] rebuilding...`);
        started = performance.now();
        const rebuilt = await rebuildIndex({ db, chain: reader, source: SYNTHETIC_SOURCE, pageBlocks: PAGE_BLOCKS, batchLogs: BATCH_LOGS });
        figures.rebuild_s = (performance.now() - started) / 1000;
        if (rebuilt.events !== events) throw new Error(`rebuild indexed ${rebuilt.events} events, expected ${events}`);
      } finally {
        await db.close();
      }
    }

    let real: Awaited<ReturnType<typeof realChainRebuild>> | null = null;
    if (process.env.INDEXER_BENCH_REAL_CHAIN !== "0") {
      console.log("[real chain] firstmile index rebuild, end to end...");
      real = await realChainRebuild(work, Number(process.env.INDEXER_BENCH_REAL_RUNS ?? 3));
    }

    const engineNames = engines.map((engine) => engine.name);
    const format = (value: number | undefined, digits = 0) => (value === undefined ? "-" : value.toFixed(digits));
    const rows: Array<Array<string | number>> = [
      ["events indexed per s (100k synthetic)", ...engineNames.map((name) => format(results[name]!.events_per_s))],
      ["lot events indexed per s", ...engineNames.map((name) => format(results[name]!.lot_events_per_s))],
      ["index 100k events, s", ...engineNames.map((name) => format(results[name]!.index_s, 1))],
      ["  CPU s (this process and the engine's)", ...engineNames.map((name) => format(results[name]!.index_cpu_s, 1))],
      [`  events per s with all ${CORES} cores busy`, ...engineNames.map((name) => format(results[name]!.events_per_s_all_cores))],
      ["rebuild 100k events, s", ...engineNames.map((name) => format(results[name]!.rebuild_s, 1))],
      ...ORIGINS.flatMap((origins) => [
        [`ancestry ${origins} origins (${results.pglite![`ancestry_${origins}_nodes`]} lots) p50 ms`, ...engineNames.map((name) => format(results[name]![`ancestry_${origins}_p50_ms`], 2))],
        [`ancestry ${origins} origins p99 ms`, ...engineNames.map((name) => format(results[name]![`ancestry_${origins}_p99_ms`], 2))],
        [`  same, pages of 500: p50 / p99 ms`, ...engineNames.map((name) => `${format(results[name]![`ancestry_${origins}_page500_p50_ms`], 1)} / ${format(results[name]![`ancestry_${origins}_page500_p99_ms`], 1)}`)],
      ]),
      ...(real ? realChainRows(real).map(([label, value]) => [label, value, "-"].slice(0, engineNames.length + 1)) : []),
    ];
    printTable([`figure (keccak ${keccak})`, ...engineNames], rows);

    const pglite = results.pglite!;
    const file = writeFigures("indexer", {
      events_per_s: Math.round(pglite.events_per_s!),
      lot_events_per_s: Math.round(pglite.lot_events_per_s!),
      index_cpu_s: round(pglite.index_cpu_s!, 2),
      events_per_s_all_cores: Math.round(pglite.events_per_s_all_cores!),
      rebuild_100k_s: round(pglite.rebuild_s!, 2),
      ...Object.fromEntries(ORIGINS.flatMap((origins) => [
        [`ancestry_${origins}_p50_ms`, round(pglite[`ancestry_${origins}_p50_ms`]!, 2)],
        [`ancestry_${origins}_p99_ms`, round(pglite[`ancestry_${origins}_p99_ms`]!, 2)],
        [`ancestry_${origins}_page500_p99_ms`, round(pglite[`ancestry_${origins}_page500_p99_ms`]!, 2)],
      ])),
      ...(results.postgres
        ? {
            postgres_events_per_s: Math.round(results.postgres.events_per_s!),
            postgres_rebuild_100k_s: round(results.postgres.rebuild_s!, 2),
            postgres_index_cpu_s: round(results.postgres.index_cpu_s!, 2),
            postgres_events_per_s_all_cores: Math.round(results.postgres.events_per_s_all_cores!),
            postgres_ancestry_1000_p99_ms: round(results.postgres.ancestry_1000_p99_ms!, 2),
          }
        : {}),
      ...(real ? realChainFigures(real) : {}),
      native_keccak: keccak === "native" ? 1 : 0,
    });
    console.log(`\nwrote ${file}`);
  } finally {
    if (server) await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** One chain with a chocolate bar made from each of 10, 100 and 1,000 deliveries. */
function chocolateBars() {
  const { chain, accounts } = chainWithMembers({ coop: Role.cooperative, processor: Role.processor, brand: Role.brand });
  const { coop, processor, brand } = accounts;
  const bars = new Map<number, bigint>();
  const mergeBy = (lots: bigint[], size: number) => {
    const out: bigint[] = [];
    for (let i = 0; i < lots.length; i += size) {
      const group = lots.slice(i, i + size);
      out.push(group.length === 1 ? group[0]! : chain.merge(group));
    }
    return out;
  };
  for (const origins of ORIGINS) {
    const deliveries: bigint[] = [];
    for (let i = 0; i < origins; i += 50) {
      const batch = Array.from({ length: Math.min(50, origins - i) }, (_, k) => ({ form: Form.wetBeans, grams: 30_000n + BigInt(((i + k) % 17) * 1_000) }));
      deliveries.push(...chain.mint(coop, batch));
    }
    const wet = mergeBy(deliveries, 10); // the cooperative bulks the day's deliveries
    chain.handOver(wet, processor);
    const dry = wet.map((lot) => chain.transform([lot], [{ form: Form.dryBeans, grams: (chain.lots.get(lot)!.grams * 4n) / 10n }])[0]!); // drying
    const bulk = mergeBy(dry, 10);
    chain.handOver(bulk, brand); // export
    const [all] = mergeBy(bulk, bulk.length);
    const [nibs] = chain.transform([all!], [{ form: Form.nibs, grams: (chain.lots.get(all!)!.grams * 8n) / 10n }]);
    const [liquor] = chain.transform([nibs!], [{ form: Form.liquor, grams: (chain.lots.get(nibs!)!.grams * 98n) / 100n }]);
    const [chocolate] = chain.transform([liquor!], [{ form: Form.chocolate, grams: chain.lots.get(liquor!)!.grams }]);
    const total = chain.lots.get(chocolate!)!.grams;
    const bar = chain.split(chocolate!, [total - total / 2n, total / 2n])[0]!;
    bars.set(origins, bar);
  }
  return { chain, bars };
}

/**
 * `firstmile index rebuild` end to end, as a user runs it: a process of its own (TypeScript
 * loaded through the transpile cache, PGlite opened on the data dir, migrations checked, the
 * chain read over JSON-RPC, the tables swapped in), on a copy of the cached real chain's data
 * dir, with the chain's node running beside it as a user's node runs (FIRSTMILE_RPC_URL). Wall
 * clock, CPU time and peak resident memory of the command's process tree (bench/peakRss.js).
 */
async function realChainRebuild(work: string, runs: number): Promise<{ seconds: number[]; cpu: number[]; peakRssMb: number[]; events: number; registryLogs: number }> {
  const cacheRoot = path.join(__dirname, "out", "real-chain");
  const template = await realChainTemplate(cacheRoot, await freePort());
  const chainDir = path.join(work, "real-chain-node");
  fs.cpSync(path.join(template.dataDir, "chain"), chainDir, { recursive: true });
  const node = await startEmbeddedNode({ stateDir: chainDir, port: await freePort(), chainId: DEFAULTS.chainId });
  // Another checkout's CLI on the same chain, for a before/after comparison.
  const root = path.resolve(process.env.INDEXER_BENCH_CLI_ROOT ?? path.join(__dirname, ".."));
  // e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile the command.
  const nodeArgs = process.env.INDEXER_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const result = { seconds: [] as number[], cpu: [] as number[], peakRssMb: [] as number[], events: 0, registryLogs: template.registryLogs };
  try {
    for (let run = 0; run < runs; run++) {
      const dataDir = path.join(work, `real-chain-${run}`);
      copyTemplate(template, dataDir);
      const figures = path.join(work, `real-chain-${run}.json`);
      const output = await runCommand(
        process.execPath,
        [path.join(__dirname, "peakRss.js"), figures, "--", process.execPath, ...GATEWAY_NODE_FLAGS, ...nodeArgs, "-r", "./scripts/register-ts.js", "src/cli/index.ts", "index", "rebuild", "--data-dir", dataDir],
        { cwd: root, env: { ...process.env, FIRSTMILE_RPC_URL: node.node.url } },
      );
      const rebuilt = /rebuilt: (\d+) events/.exec(output);
      if (!rebuilt) throw new Error(`index rebuild printed no summary:\n${output}`);
      result.events = Number(rebuilt[1]);
      const measured = JSON.parse(fs.readFileSync(figures, "utf8")) as { seconds: number; cpu_s: number; peak_rss_mb: number };
      console.log(`[real chain] run ${run + 1}: ${measured.seconds.toFixed(2)} s, CPU ${measured.cpu_s.toFixed(2)} s, peak RSS ${measured.peak_rss_mb.toFixed(0)} MB (${output.trim().split("\n").at(-1)})`);
      result.seconds.push(measured.seconds);
      result.cpu.push(measured.cpu_s);
      result.peakRssMb.push(measured.peak_rss_mb);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    await node.stop();
  }
  return result;
}

function runCommand(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`))));
  });
}

type RealChainRun = Awaited<ReturnType<typeof realChainRebuild>>;

function realChainRows(real: RealChainRun): Array<[string, string]> {
  return [
    [`real chain: index rebuild of ${real.registryLogs} registry logs, s (runs)`, real.seconds.map((s) => s.toFixed(1)).join(" / ")],
    ["  CPU s (runs)", real.cpu.map((s) => s.toFixed(1)).join(" / ")],
    ["  peak RSS MB, process tree (runs)", real.peakRssMb.map((s) => s.toFixed(0)).join(" / ")],
  ];
}

function realChainFigures(real: RealChainRun): Record<string, number> {
  return {
    real_chain_rebuild_s: round(median(real.seconds), 2),
    real_chain_rebuild_cpu_s: round(median(real.cpu), 2),
    real_chain_peak_rss_mb: Math.round(Math.max(...real.peakRssMb)),
    real_chain_registry_logs: real.registryLogs,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
