import type { Config } from "../config";
import type { EvidenceLimits } from "./intake";
import { DEFAULT_EVIDENCE_LIMITS } from "./intake";
import type { EvidenceStoreConfig } from "./store";

/**
 * The evidence store the gateway's configuration names: Kubo when `FIRSTMILE_IPFS=kubo`
 * (`FIRSTMILE_KUBO_URL`), else the embedded blockstore the configuration places (`<dataDir>/evidence`).
 */
export function evidenceStoreConfig(config: Pick<Config, "ipfs">): EvidenceStoreConfig {
  return config.ipfs.mode === "kubo"
    ? { kind: "kubo", url: config.ipfs.kuboUrl }
    : { kind: "embedded", dir: config.ipfs.blockstoreDir };
}

/** Upload limits from the configuration (`FIRSTMILE_EVIDENCE_MAX_BYTES`); every allowed type. */
export function evidenceLimitsFrom(config: Pick<Config, "evidence">): EvidenceLimits {
  return { ...DEFAULT_EVIDENCE_LIMITS, maxBytes: config.evidence.maxBytes };
}
