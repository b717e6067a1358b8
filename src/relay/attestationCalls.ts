import { ZeroHash } from "ethers";
import { z } from "zod";
import { SubjectKind, type SubjectKindName } from "../attestations/schemes";
import { numberSubject } from "../attestations/attestationUid";
import { attestationRegistryInterface } from "../chain/contracts";
import { addressSchema, bytes32Schema, uintString } from "./lotCalls";

/**
 * The attestation registry's write calls a certifier can ask the gateway to make for it (attest,
 * attest many, revoke): their request schemas and their calldata, as lotCalls.ts does for lots.
 * Subjects are named as people say them (a lot id, a plot geometry hash, a member id) and become
 * the contract's `bytes32` only in the calldata.
 */

/** Most attestations in one call: the registry's MAX_BATCH. */
export const MAX_ATTESTATION_BATCH = 500;
const UINT16_MAX = 2 ** 16 - 1;
const UINT32_MAX = 2 ** 32 - 1;
const UINT48_MAX = 2 ** 48 - 1;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;

const account = addressSchema.optional().describe("custodial certifier account of the member that acts; default its first");
const schemeSchema = z.number().int().min(1, "scheme: a scheme id from 1").max(UINT32_MAX, `scheme: at most ${UINT32_MAX}`).describe("scheme id (1-based, as registered)");
const digestSchema = bytes32Schema.describe("sha2-256 digest of the evidence CID (audit report, satellite analysis)");
const hashSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x and 64 hex digits")
  .transform((value) => value.toLowerCase());
export const uidSchema = hashSchema.describe("an attestation uid (bytes32)");

const lotSubject = uintString(UINT256_MAX, "subject (lot id)").refine((value) => value !== "0", "subject (lot id): not 0");
const memberSubject = uintString(UINT64_MAX, "subject (member id)").refine((value) => value !== "0", "subject (member id): not 0");
const plotSubject = hashSchema.refine((value) => value !== ZeroHash, "subject (plot): not the zero hash");

/**
 * One attestation: its subject by kind, an optional expiry, the evidence digest and an optional
 * data hash. The subject is checked against its kind and kept in the kind's canonical form (ids
 * as decimal strings, a plot hash in lower case).
 */
const attestationShape = {
  subjectKind: z.enum(["lot", "plot", "member"]).describe("what is attested: a lot, a plot, a member"),
  subject: z
    .union([z.string(), z.number().int().nonnegative()])
    .describe("lot: the lot id; plot: the plot geometry hash (bytes32); member: the member id"),
  expiresAt: z
    .number()
    .int()
    .min(0, "expiresAt: Unix seconds")
    .max(UINT48_MAX, "expiresAt: Unix seconds")
    .optional()
    .describe("expiry (Unix seconds, in the future); omitted or 0: now plus the scheme's default validity"),
  evidence: digestSchema,
  dataHash: hashSchema.optional().describe("hash of the attested data (e.g. the certificate's fields); default zero"),
};

function withCanonicalSubject<T extends { subjectKind: SubjectKindName; subject: string | number }>(
  value: T,
  context: z.RefinementCtx,
): Omit<T, "subject"> & { subject: string } {
  const schema = value.subjectKind === "lot" ? lotSubject : value.subjectKind === "member" ? memberSubject : plotSubject;
  const parsed = schema.safeParse(value.subject);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) context.addIssue({ code: "custom", message: issue.message, path: ["subject"] });
    return z.NEVER;
  }
  return { ...value, subject: parsed.data };
}

export const attestationSchema = z.object(attestationShape).strict().transform(withCanonicalSubject);

export const attestationCallSchemas = {
  "attestations.attest": z
    .object({ account, scheme: schemeSchema, ...attestationShape })
    .strict()
    .transform(withCanonicalSubject),
  "attestations.attestBatch": z
    .object({ account, scheme: schemeSchema, attestations: z.array(attestationSchema).min(1).max(MAX_ATTESTATION_BATCH) })
    .strict(),
  "attestations.revoke": z
    .object({
      account,
      uid: uidSchema,
      reason: z.number().int().min(0, `reason: 0-${UINT16_MAX}`).max(UINT16_MAX, `reason: 0-${UINT16_MAX}`).describe("reason code, e.g. 1 fraud, 2 audit finding, 3 issued in error"),
    })
    .strict(),
} as const;

export type AttestationCallKind = keyof typeof attestationCallSchemas;
export type AttestationCallPayload<K extends AttestationCallKind = AttestationCallKind> = z.output<(typeof attestationCallSchemas)[K]>;
export type Attestation = z.output<typeof attestationSchema>;

export const ATTESTATION_CALL_KINDS = Object.keys(attestationCallSchemas) as AttestationCallKind[];

export function isAttestationCallKind(kind: string): kind is AttestationCallKind {
  return Object.prototype.hasOwnProperty.call(attestationCallSchemas, kind);
}

/** The attestation registry calldata of an attestation request (its payload as the schema outputs it). */
export function encodeAttestationCall(kind: AttestationCallKind, payload: unknown): string {
  switch (kind) {
    case "attestations.attest": {
      const p = payload as AttestationCallPayload<"attestations.attest">;
      return attestationRegistryInterface.encodeFunctionData("attest", [p.scheme, attestationTuple(p)]);
    }
    case "attestations.attestBatch": {
      const p = payload as AttestationCallPayload<"attestations.attestBatch">;
      return attestationRegistryInterface.encodeFunctionData("attestBatch", [p.scheme, p.attestations.map(attestationTuple)]);
    }
    case "attestations.revoke": {
      const p = payload as AttestationCallPayload<"attestations.revoke">;
      return attestationRegistryInterface.encodeFunctionData("revoke", [p.uid, p.reason]);
    }
  }
}

/** The contract's `bytes32` subject: a lot or member id as a number, a plot hash as it is. */
export function subjectBytes32(kind: SubjectKindName, subject: string): string {
  return kind === "plot" ? subject : numberSubject(BigInt(subject));
}

function attestationTuple(attestation: Attestation) {
  return {
    subjectKind: SubjectKind[attestation.subjectKind],
    subject: subjectBytes32(attestation.subjectKind, attestation.subject),
    expiresAt: BigInt(attestation.expiresAt ?? 0),
    evidence: attestation.evidence,
    dataHash: attestation.dataHash ?? ZeroHash,
  };
}
