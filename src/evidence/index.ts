export { openEvidenceStore } from "./store";
export type { EvidenceStore, EvidenceStoreConfig, StoredEvidence } from "./store";
export { evidenceStoreConfig, evidenceLimitsFrom } from "./config";
export { DEFAULT_EVIDENCE_LIMITS, evidenceLimits, prepareEvidence, collectLimited } from "./intake";
export type { EvidenceLimits } from "./intake";
export { EVIDENCE_MEDIA_TYPES, parseEvidenceMediaType } from "./mediaTypes";
export type { EvidenceMediaType } from "./mediaTypes";
export { computeEvidenceCid, parseEvidenceCid, parseAnyCid, CHUNK_SIZE, MAX_LINKS_PER_NODE } from "./cid";
export type { EvidenceCodec } from "./cid";
export { cidToDigest, digestToCid, codecOf, codecOfRootBlock, resolveDigest, blockCidOfDigest } from "./chainDigest";
export type { Bytes32 } from "./chainDigest";
export { verifyBlock, verifyFileBytes } from "./verify";
export { readEvidenceFile, walkEvidenceBlocks } from "./dag";
export type { BlockSource } from "./dag";
export { stripImageMetadata } from "./exif";
export type { StrippedImage } from "./exif";
export { writeEvidenceCar, exportEvidenceCar, importEvidenceCar, readFileChunks } from "./car";
export type { CarSummary } from "./car";
export { fetchEvidenceFromGateway } from "./trustlessFetch";
export type { FetchEvidenceOptions } from "./trustlessFetch";
export { EmbeddedEvidenceStore } from "./embeddedStore";
export { KuboEvidenceStore } from "./kuboStore";
export {
  EvidenceCidMismatchError,
  EvidenceTooLargeError,
  EvidenceMediaTypeError,
  EvidenceMalformedError,
  EvidenceInvalidCidError,
  EvidenceNotFoundError,
  EvidenceNotAFileError,
  EvidenceStoreUnavailableError,
} from "./errors";
export type { EvidenceErrorType } from "./errors";
export { withEvidencePeers } from "./peeredStore";
export type { EvidencePeersOptions } from "./peeredStore";
