import type { Database } from "../../src/db";
import { batches, blockDone, indexBatch, type Checkpoint, type IndexedEvent, type IndexerSource } from "../../src/indexer";
import { SYNTHETIC_CATALOGUE } from "./syntheticChain";

export const SYNTHETIC_SOURCE: IndexerSource = {
  name: "chain",
  chainId: 31337,
  lotRegistry: { name: "LotRegistry", address: "0x00000000000000000000000000000000000000aa", deploymentBlock: 100 },
  // The synthetic chain's catalogue events (yield bounds, dry basis) come from their own contract.
  formCatalogue: { name: "FormCatalogue", address: SYNTHETIC_CATALOGUE, deploymentBlock: 100 },
};

/** Indexes decoded events straight into the read model (no node), as the follower would: batches + checkpoints. */
export async function indexSynthetic(db: Database, events: readonly IndexedEvent[], batchLogs = 5_000, previous: Checkpoint | null = null): Promise<Checkpoint | null> {
  let checkpoint = previous;
  const lastBlock = events.at(-1)?.blockNumber ?? 100;
  for (const batch of batches(events, batchLogs, blockDone(lastBlock))) {
    await indexBatch(db, { schema: "public", source: SYNTHETIC_SOURCE, previous: checkpoint, next: batch.next, events: batch.events });
    checkpoint = batch.next;
  }
  return checkpoint;
}
