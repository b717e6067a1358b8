import type { Config } from "../config";
import { openDatabase, type Database } from "../db";
import { evidenceLimitsFrom, evidenceStoreConfig, openEvidenceStore, type EvidenceStore } from "../evidence";
import { lockDataDir } from "../gateway/dataDirLock";

/**
 * For a command that runs with no gateway on the data dir: the database and the evidence store
 * opened here, under the data dir's lock, and closed (lock released) when `work` settles.
 */
export async function withLocalStores<T>(config: Config, command: string, work: (stores: { db: Database; evidence: EvidenceStore }) => Promise<T>): Promise<T> {
  const lock = lockDataDir(config.dataDir, { command, httpPort: null, chainPort: null });
  try {
    const { db } = await openDatabase({ config: config.database });
    try {
      const evidence = await openEvidenceStore(evidenceStoreConfig(config), evidenceLimitsFrom(config));
      try {
        return await work({ db, evidence });
      } finally {
        await evidence.close();
      }
    } finally {
      await db.close();
    }
  } finally {
    lock.release();
  }
}
