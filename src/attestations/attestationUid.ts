import { AbiCoder, keccak256 } from "ethers";
import { SubjectKind, type SubjectKindName } from "./schemes";

/** The fields an attestation's uid commits to, as the `Attested` event and its block carry them. */
export interface AttestationUidParameters {
  scheme: number;
  subjectKind: SubjectKindName;
  /** bytes32: a lot or member id as a 32-byte number, or a plot geometry hash. */
  subject: string;
  attester: string;
  /** The attesting block's timestamp (Unix seconds). */
  time: bigint;
  /** Unix seconds; 0 = no expiry. */
  expiresAt: bigint;
  /** sha2-256 digest of the evidence CID. */
  evidence: string;
  dataHash: string;
}

/**
 * The off-chain twin of `AttestationRegistry.attestationUid`: a verifier holding an `Attested`
 * event recomputes the uid and so checks the evidence digest and data hash were the ones attested.
 */
export function computeAttestationUid(parameters: AttestationUidParameters): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint32", "uint8", "bytes32", "address", "uint48", "uint48", "bytes32", "bytes32"],
      [
        parameters.scheme,
        SubjectKind[parameters.subjectKind],
        parameters.subject,
        parameters.attester,
        parameters.time,
        parameters.expiresAt,
        parameters.evidence,
        parameters.dataHash,
      ],
    ),
  );
}

/** A lot or member id as the bytes32 subject the contract takes. */
export function numberSubject(id: bigint): string {
  return `0x${id.toString(16).padStart(64, "0")}`;
}
