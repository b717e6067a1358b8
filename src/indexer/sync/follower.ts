import type { Database } from "../../db";
import { resumeBlock, type Checkpoint } from "../checkpoint";
import { IndexerCheckpointConflictError, isFatalIndexerError } from "../errors";
import { indexBatches } from "../indexing/indexBatch";
import { sourceContracts, sourceStartBlock, type IndexerSource } from "../source";
import { readCheckpoint } from "../store/checkpointStore";
import { ProjectionCache } from "../store/loadState";
import { analyzeReadModel } from "../store/readModel";
import { LIVE_SCHEMA, type ReadModelSchema } from "../store/schemaName";
import type { ChainReader } from "./chainReader";
import { readPages, type PageSource } from "./pageReader";

export type IndexerLogger = {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
};

export type StartIndexerParameters = {
  db: Database;
  chain: ChainReader;
  source: IndexerSource;
  /** Where the read model is (default `public`; a rebuild builds into its own schema). */
  schema?: ReadModelSchema | undefined;
  /** Blocks per `eth_getLogs` page. */
  pageBlocks: number;
  /** Most logs per transaction: a page with more is written in several batches (default 5,000). */
  batchLogs?: number | undefined;
  /** Wait between looks at the head once caught up. */
  pollIntervalMs: number;
  /** Back-off while the node (or the database) fails: doubles from `initialMs` up to `maxMs`. */
  backoff?: { initialMs: number; maxMs: number } | undefined;
  /** Ready while at most this many blocks behind the head (default 5). */
  readyLagBlocks?: number | undefined;
  /**
   * Refresh the planner's statistics (ANALYZE) after this many rows (default 100,000; then each
   * time this run has written as many rows again as it had at the last refresh), and on
   * reaching the head with rows written since the last time (at least half as many as at the last
   * refresh), if the indexer was catching up (more
   * than `readyLagBlocks` behind) or runs to `stopAt`. Not after every followed block: ANALYZE of
   * the read model holds the gateway's one thread for tens of milliseconds, and a block adds
   * little to the statistics. PostgreSQL's autovacuum does it too; PGlite has no autovacuum, and
   * the recursive ancestry queries need the statistics.
   */
  analyzeEveryRows?: number | undefined;
  /**
   * Refresh the statistics on reaching `stopAt` (default true); a rebuild refreshes them itself,
   * once its indexes are built.
   */
  analyzeAtStop?: boolean | undefined;
  /**
   * Stop by itself once this block is indexed: a number, or "head" for the head seen at start (a
   * rebuild, a catch-up run). Default: follow until stop().
   */
  stopAt?: number | "head" | undefined;
  /**
   * While this says so, new blocks wait, for at most `maxDeferMs` at a time: the gateway passes
   * "the relay is taking a burst of writes", so that the read model does not take turns with the
   * writes for the CPU; it then indexes the burst's blocks in fewer, larger batches. Never while
   * someone waits for a block (`waitForBlock`) or when running to `stopAt`.
   */
  deferWhile?: (() => boolean) | undefined;
  /**
   * Awaited before a block reached while following is made known (`status`, `waitForBlock`): the
   * gateway remakes the lot pages a crowd is viewing at that block meanwhile, so no view waits for
   * a page's check against the chain (views are answered at the block before until then). Should
   * bound its own time; an error is logged and the block made known all the same.
   */
  beforeAdvance?: ((block: number) => Promise<unknown>) | undefined;
  /** Longest a block waits while `deferWhile` holds (default 5,000 ms). */
  maxDeferMs?: number | undefined;
  logger?: IndexerLogger | undefined;
};

export type IndexerState = "starting" | "catching_up" | "following" | "retrying" | "stopped" | "failed";

export type IndexerStatus = {
  state: IndexerState;
  checkpoint: Checkpoint | null;
  /** Last block whose logs are all indexed (null before the first). */
  indexedBlock: number | null;
  headBlock: number | null;
  lagBlocks: number | null;
  eventsIndexed: number;
  lastError: string | null;
  /** Since when new blocks wait for a burst of writes to pass (`deferWhile`); null when not. */
  deferringSince: Date | null;
  /** While retrying: when the next attempt is due. */
  retryAt: Date | null;
  /** The error that stopped the indexer for good (a history-head mismatch, ...). */
  fatal: Error | null;
};

export type Indexer = {
  /** Resolves when the indexer stops (stop(), or stopAtHead reached); rejects with a fatal error. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  status(): IndexerStatus;
  /** For `/readyz`: ready while following within `readyLagBlocks` of the head. */
  readiness(): Promise<{ ok: boolean; detail: unknown }>;
  /** Resolves once every log up to and including `blockNumber` is indexed; rejects if the indexer stops first. */
  waitForBlock(blockNumber: number): Promise<void>;
};

/**
 * Follows the chain into the read model: pages `eth_getLogs` from the committed checkpoint,
 * decodes, projects and writes each batch with its checkpoint in one transaction (so a restart,
 * even after a kill mid-batch, resumes exactly), then polls the head. While the node or the
 * database fails it backs off and reports `retrying`; a history-head mismatch, an undecodable
 * log or a read model from other contracts stops it (`failed`, `done` rejects).
 */
/** Most events per transaction while `deferWhile` holds (about a tenth of a second of writing). */
const BUSY_BATCH_EVENTS = 500;

export function startIndexer(parameters: StartIndexerParameters): Indexer {
  const { db, chain, source, pageBlocks, pollIntervalMs } = parameters;
  const schema = parameters.schema ?? LIVE_SCHEMA;
  const batchLogs = parameters.batchLogs ?? 5_000;
  const backoff = parameters.backoff ?? { initialMs: 250, maxMs: 30_000 };
  const readyLagBlocks = parameters.readyLagBlocks ?? 5;
  const logger = parameters.logger;
  const analyzeEveryRows = parameters.analyzeEveryRows ?? 100_000;
  const maxDeferMs = parameters.maxDeferMs ?? 5_000;
  const addresses = sourceContracts(source).map((contract) => contract.address);
  const lotRegistry = source.lotRegistry.address;
  const attestationRegistry = source.attestationRegistry?.address;
  const formCatalogue = source.formCatalogue?.address;
  const payoutRegistry = source.payoutRegistry?.address;
  const ddsRegistry = source.ddsRegistry?.address;
  if (!Number.isInteger(pageBlocks) || pageBlocks < 1) throw new RangeError(`pageBlocks must be a positive integer, got ${pageBlocks}`);

  const status: IndexerStatus = {
    state: "starting",
    checkpoint: null,
    indexedBlock: null,
    headBlock: null,
    lagBlocks: null,
    eventsIndexed: 0,
    lastError: null,
    deferringSince: null,
    retryAt: null,
    fatal: null,
  };
  let stopping = false;
  let wake: (() => void) | null = null;
  const waiters = new Set<{ block: number; resolve: () => void; reject: (error: Error) => void }>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopping) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const moveTo = (checkpoint: Checkpoint, eventCount: number) => {
    status.checkpoint = checkpoint;
    const indexed = resumeBlock(checkpoint) - 1;
    status.indexedBlock = indexed >= 0 ? indexed : null;
    status.eventsIndexed += eventCount;
    if (status.headBlock !== null && status.indexedBlock !== null) status.lagBlocks = Math.max(0, status.headBlock - status.indexedBlock);
    for (const waiter of waiters) {
      if (status.indexedBlock !== null && status.indexedBlock >= waiter.block) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const pageSource: PageSource = {
    chain,
    addresses,
    pageBlocks,
    batchLogs,
    decode: { lotRegistry, formCatalogue, attestationRegistry, ddsRegistry, payoutRegistry },
    batch: { schema, source },
  };

  const run = async () => {
    let checkpoint: Checkpoint | null = null;
    let loaded = false;
    let failures = 0;
    let target: number | null = null;
    let rowsSinceAnalyze = 0;
    // Rows this run had written at the last ANALYZE: the next one waits until as many more are
    // written (and at least analyzeEveryRows), so a long catch-up analyzes a doubling read model
    // a few times, not once per fixed number of rows (its cost grows with the tables).
    let rowsAtAnalyze = 0;
    const analyzeDue = () => rowsSinceAnalyze >= Math.max(analyzeEveryRows, rowsAtAnalyze);
    // At the head: unless this run's rows grew by less than half since the last refresh (the
    // planner scales the row counts of its statistics to the tables' current size itself).
    const grownSinceAnalyze = () => rowsSinceAnalyze > 0 && rowsSinceAnalyze >= rowsAtAnalyze / 2;
    // The rows the last batches touched; indexBatches empties it when a batch fails.
    const cache = new ProjectionCache();
    let laggedSinceAnalyze = false;
    const analyze = async () => {
      try {
        await analyzeReadModel(db, schema);
        rowsAtAnalyze += rowsSinceAnalyze;
        rowsSinceAnalyze = 0;
        laggedSinceAnalyze = false;
      } catch (error) {
        logger?.warn({ err: error }, "indexer could not refresh the planner statistics");
      }
    };
    while (!stopping) {
      try {
        if (!loaded) {
          checkpoint = await readCheckpoint(db, schema, source);
          loaded = true;
          if (checkpoint) moveTo(checkpoint, 0);
        }
        const head = await chain.blockNumber();
        status.headBlock = head;
        if (target === null && parameters.stopAt !== undefined) target = parameters.stopAt === "head" ? head : parameters.stopAt;
        const from = checkpoint ? resumeBlock(checkpoint) : sourceStartBlock(source);
        status.lagBlocks = Math.max(0, head - (from - 1));
        if (from > Math.min(head, target ?? head)) {
          if (grownSinceAnalyze() && (target === null ? laggedSinceAnalyze : parameters.analyzeAtStop !== false)) await analyze();
          if (target !== null && from > target) break;
          status.state = "following";
          status.retryAt = null;
          failures = 0;
          await sleep(pollIntervalMs);
          continue;
        }
        if (parameters.deferWhile && waiters.size === 0 && target === null && parameters.deferWhile()) {
          status.deferringSince ??= new Date();
          if (Date.now() - status.deferringSince.getTime() < maxDeferMs) {
            await sleep(Math.min(pollIntervalMs, 250));
            continue;
          }
        }
        status.deferringSince = null;
        status.state = head - (from - 1) > readyLagBlocks ? "catching_up" : "following";
        if (status.state === "catching_up") laggedSinceAnalyze = true;
        const last = Math.min(head, target ?? head);
        // Under a burst of writes, short transactions: the relay's intake waits for each one.
        const busy = parameters.deferWhile?.() ?? false;
        const maxEvents = busy ? BUSY_BATCH_EVENTS : Number.POSITIVE_INFINITY;
        const following = status.state === "following";
        // Catching up, the pages up to `last` are one pipeline: the next page is read and decoded
        // while a batch of this one is written (until the statistics are due, a burst of writes
        // starts or ends, or the cache needs its trim, which waits for the pipeline to end).
        // Following, one page.
        const goOn = () => !stopping && !analyzeDue() && (parameters.deferWhile?.() ?? false) === busy && cache.lots.size <= cache.maxLots;
        const pages = readPages(pageSource, { from, to: following ? Math.min(from + pageBlocks - 1, last) : last, after: checkpoint, maxEvents, goOn });
        const list = following ? await pages.all() : null;
        // Made known after beforeAdvance: the last batch of a followed page (one block, usually).
        const held = parameters.beforeAdvance && list ? list.at(-1) : undefined;
        let heldCommitted = false;
        try {
          // Each batch commits with its checkpoint; the next one is projected while it is written.
          await indexBatches(
            db,
            list ?? pages.next,
            cache,
            (batch, written) => {
              checkpoint = batch.next;
              rowsSinceAnalyze += written.rows;
              if (batch === held) heldCommitted = true;
              else moveTo(batch.next, batch.events.length);
            },
            () => stopping,
          );
        } finally {
          if (held && heldCommitted) {
            try {
              await parameters.beforeAdvance!(resumeBlock(held.next) - 1);
            } catch (error) {
              logger?.warn({ err: error }, "indexer: the work before making a block known failed");
            } finally {
              moveTo(held.next, held.events.length);
            }
          }
        }
        if (analyzeDue()) await analyze();
        failures = 0;
        status.lastError = null;
        status.retryAt = null;
      } catch (error) {
        if (error instanceof IndexerCheckpointConflictError) {
          logger?.warn({ err: error }, "indexer checkpoint moved; reloading");
          loaded = false;
          continue;
        }
        if (isFatalIndexerError(error)) {
          status.state = "failed";
          status.fatal = error as Error;
          status.lastError = (error as Error).message;
          logger?.error({ err: error }, "indexer stopped: the read model cannot go on");
          throw error;
        }
        failures += 1;
        const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 20));
        status.state = "retrying";
        status.lastError = (error as Error).message;
        status.retryAt = new Date(Date.now() + delay);
        logger?.warn({ err: error, attempt: failures, retryInMs: delay }, "indexer retrying");
        await sleep(delay);
      }
    }
    status.state = "stopped";
  };

  const done = run().finally(() => {
    const reason = status.fatal ?? new Error("the indexer stopped");
    for (const waiter of waiters) if (status.indexedBlock === null || status.indexedBlock < waiter.block) waiter.reject(reason);
    waiters.clear();
  });
  done.catch(() => {}); // observed through done / status; never an unhandled rejection

  return {
    done,
    async stop() {
      stopping = true;
      wake?.();
      await done.catch(() => {});
    },
    status: () => ({ ...status }),
    async readiness() {
      // Blocks held back for a burst of writes (at most maxDeferMs) do not make the gateway unready.
      const deferring = status.deferringSince !== null && status.state !== "failed" && status.state !== "retrying";
      const ok = deferring || (status.state === "following" && status.lagBlocks !== null && status.lagBlocks <= readyLagBlocks);
      return {
        ok,
        detail: {
          state: status.state,
          indexedBlock: status.indexedBlock,
          headBlock: status.headBlock,
          lagBlocks: status.lagBlocks,
          ...(deferring ? { deferringSince: status.deferringSince!.toISOString() } : {}),
          ...(status.lastError ? { lastError: status.lastError } : {}),
          ...(status.retryAt ? { retryAt: status.retryAt.toISOString() } : {}),
        },
      };
    },
    waitForBlock(blockNumber) {
      if (status.indexedBlock !== null && status.indexedBlock >= blockNumber) return Promise.resolve();
      if (status.state === "failed" || status.state === "stopped") return Promise.reject(status.fatal ?? new Error("the indexer stopped"));
      const waiting = new Promise<void>((resolve, reject) => waiters.add({ block: blockNumber, resolve, reject }));
      if (status.deferringSince !== null) wake?.();
      return waiting;
    },
  };
}
