import { z } from "zod";
import { ddsRegistryInterface } from "../chain/contracts";
import { addressSchema, lotIdSchema } from "./lotCalls";

/**
 * The DDS registry's write call a member can ask the gateway to make for it: recording the
 * reference and verification numbers the EU information system gave a due diligence statement it
 * filed, against the lot the statement covers (docs/eudr.md).
 */

/** Longest reference or verification number (DdsRegistry.MAX_NUMBER_LENGTH). */
export const MAX_DDS_NUMBER_LENGTH = 64;

// The information system's numbers are upper-case letters and digits (a reference like
// 25NLSN6LX69730, a verification number like K7R8LA5F); a hyphen is allowed for other systems'.
const ddsNumber = (what: string) =>
  z
    .string()
    .min(1, `${what}: not empty`)
    .max(MAX_DDS_NUMBER_LENGTH, `${what}: at most ${MAX_DDS_NUMBER_LENGTH} characters`)
    .regex(/^[A-Za-z0-9-]+$/, `${what}: letters, digits and hyphens only`);

const account = addressSchema.optional().describe("custodial account of the member that acts; default its first");

export const ddsCallSchemas = {
  "dds.recordStatement": z
    .object({
      account,
      lotId: lotIdSchema,
      referenceNumber: ddsNumber("referenceNumber").describe("the statement's reference number in the EU information system"),
      verificationNumber: ddsNumber("verificationNumber").describe("its verification number"),
    })
    .strict(),
} as const;

export type DdsCallKind = keyof typeof ddsCallSchemas;
export const DDS_CALL_KINDS = Object.keys(ddsCallSchemas) as DdsCallKind[];
export type DdsCallPayload = z.output<(typeof ddsCallSchemas)["dds.recordStatement"]>;

export function isDdsCallKind(kind: string): kind is DdsCallKind {
  return Object.prototype.hasOwnProperty.call(ddsCallSchemas, kind);
}

/** The DDS registry calldata of a request. */
export function encodeDdsCall(_kind: DdsCallKind, payload: unknown): string {
  const p = payload as DdsCallPayload;
  return ddsRegistryInterface.encodeFunctionData("recordStatement", [BigInt(p.lotId), p.referenceNumber, p.verificationNumber]);
}
