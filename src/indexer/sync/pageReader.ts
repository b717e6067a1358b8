import { blockDone, type Checkpoint } from "../checkpoint";
import { decodeLogs, type DecodeLogsParameters } from "../indexing/decode";
import type { ChainLog, IndexedEvent } from "../indexing/events";
import type { IndexBatchParameters } from "../indexing/indexBatch";
import type { ChainReader } from "./chainReader";

/** What reading pages needs: the node, what to read, how to decode and cut it. */
export type PageSource = {
  chain: ChainReader;
  addresses: readonly string[];
  /** Blocks per `eth_getLogs` page. */
  pageBlocks: number;
  /** Most logs per batch. */
  batchLogs: number;
  decode: Omit<DecodeLogsParameters, "blockTimes">;
  /** What every batch carries. */
  batch: Pick<IndexBatchParameters, "schema" | "source">;
};

export type ReadPagesParameters = {
  from: number;
  to: number;
  /** The checkpoint the first batch follows: events at or before it are skipped. */
  after: Checkpoint | null;
  /** A batch also ends at a log boundary once it holds this many events (see `batches`). */
  maxEvents: number;
  /** Asked at each page boundary: false ends the walk there (the batches already cut are given). */
  goOn: () => boolean;
};

/**
 * The batches of blocks `from` to `to`, page by page (`pageBlocks` each), each page's events cut
 * into batches (`batches`), one batch per call of `next`. The next page's `eth_getLogs` is sent as
 * soon as a page is taken, so the node prepares it while this one's batches are indexed.
 */
export function readPages(pages: PageSource, parameters: ReadPagesParameters): { next(): Promise<IndexBatchParameters | undefined>; all(): Promise<IndexBatchParameters[]> } {
  const { from, to, after, maxEvents, goOn } = parameters;
  type Page = { end: number; logs: ChainLog[]; blockTimes: Map<number, Date> };
  const read = async (start: number): Promise<Page> => {
    const end = Math.min(start + pages.pageBlocks - 1, to);
    const logs = await pages.chain.getLogs({ addresses: pages.addresses, fromBlock: start, toBlock: end });
    const blockTimes = logs.length > 0 ? await pages.chain.blockTimes(logs.map((log) => log.blockNumber)) : new Map<number, Date>();
    return { end, logs, blockTimes };
  };
  let nextPage = from;
  let ahead: Promise<Page> | null = null;
  let previous = after;
  const ready: IndexBatchParameters[] = [];
  const next = async (): Promise<IndexBatchParameters | undefined> => {
    while (ready.length === 0) {
      if (nextPage > to || (nextPage > from && !goOn())) return undefined;
      const page = await (ahead ?? read(nextPage));
      nextPage = page.end + 1;
      ahead = null;
      if (nextPage <= to && goOn()) {
        ahead = read(nextPage);
        ahead.catch(() => {}); // reported when taken; never unhandled if the walk stops first
      }
      const events = decodeLogs(page.logs, { ...pages.decode, blockTimes: page.blockTimes }).filter((event) => after === null || event.position > after);
      for (const batch of batches(events, pages.batchLogs, blockDone(page.end), maxEvents)) {
        ready.push({ ...pages.batch, previous, next: batch.next, events: batch.events });
        previous = batch.next;
      }
    }
    return ready.shift();
  };
  const all = async () => {
    const list: IndexBatchParameters[] = [];
    for (let batch = await next(); batch; batch = await next()) list.push(batch);
    return list;
  };
  return { next, all };
}

/**
 * Cuts a page's events into batches of at most `batchLogs` logs, never inside a log (a
 * `LotsMinted` of 500 deliveries is one log); with `maxEvents`, a batch also ends at the first
 * log boundary once it holds that many events. Each batch ends at its last log's checkpoint; the
 * last batch ends at `pageEnd`, so a page without events still moves the checkpoint.
 */
export function* batches(
  events: readonly IndexedEvent[],
  batchLogs: number,
  pageEnd: Checkpoint,
  maxEvents = Number.POSITIVE_INFINITY,
): Generator<{ events: IndexedEvent[]; next: Checkpoint }> {
  let current: IndexedEvent[] = [];
  let logs = 0;
  let lastPosition: string | null = null;
  for (let index = 0; index < events.length; index++) {
    const event = events[index]!;
    if (event.position !== lastPosition) {
      if (logs === batchLogs || current.length >= maxEvents) {
        yield { events: current, next: lastPosition! };
        current = [];
        logs = 0;
      }
      logs += 1;
      lastPosition = event.position;
    }
    current.push(event);
  }
  yield { events: current, next: pageEnd };
}
