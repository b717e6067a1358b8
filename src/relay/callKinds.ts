import type { z } from "zod";
import { attestationCallSchemas, encodeAttestationCall, isAttestationCallKind, type AttestationCallKind } from "./attestationCalls";
import { ddsCallSchemas, encodeDdsCall, isDdsCallKind, type DdsCallKind } from "./ddsCalls";
import { encodeLotCall, isLotCallKind, lotCallSchemas, type LotCallKind } from "./lotCalls";
import { encodeMemberCall, isMemberCallKind, memberCallSchemas, type MemberCallKind } from "./memberCalls";
import { encodePayoutCall, isPayoutCallKind, payoutCallSchemas, type PayoutCallKind } from "./payoutCalls";

/**
 * Every call a member can ask the gateway to make with its custodial key, by request kind
 * (`lots.mint`, `attestations.attest`, ...): which contract it goes to, how its payload is
 * validated and encoded. The relay worker addresses each ForwardRequest by its kind's target.
 */
export type CallKind = LotCallKind | AttestationCallKind | DdsCallKind | PayoutCallKind | MemberCallKind;

/** The deployed contract a kind's calls go to (`deployments.contracts.LotRegistry`, `.AttestationRegistry`, `.DdsRegistry`, `.PayoutRegistry`). */
export type CallTarget = "lotRegistry" | "attestationRegistry" | "ddsRegistry" | "payoutRegistry";

export const callSchemas = { ...lotCallSchemas, ...attestationCallSchemas, ...ddsCallSchemas, ...payoutCallSchemas, ...memberCallSchemas } as const satisfies Record<CallKind, z.ZodType>;

export function isCallKind(kind: string): kind is CallKind {
  return isLotCallKind(kind) || isAttestationCallKind(kind) || isDdsCallKind(kind) || isPayoutCallKind(kind) || isMemberCallKind(kind);
}

/** The contract a request of this kind calls. */
export function callTargetOf(kind: CallKind): CallTarget {
  if (isPayoutCallKind(kind)) return "payoutRegistry";
  return isAttestationCallKind(kind) ? "attestationRegistry" : isDdsCallKind(kind) ? "ddsRegistry" : "lotRegistry";
}

/** A request's calldata for its target. */
export function encodeCall(kind: CallKind, payload: unknown): string {
  if (isPayoutCallKind(kind)) return encodePayoutCall(kind, payload);
  if (isMemberCallKind(kind)) return encodeMemberCall(kind, payload);
  if (isAttestationCallKind(kind)) return encodeAttestationCall(kind, payload);
  return isDdsCallKind(kind) ? encodeDdsCall(kind, payload) : encodeLotCall(kind, payload);
}

/** Contract addresses by target, as the gateway knows them (the attestation, DDS and payout registries may be missing on an old deployment). */
export type CallTargets = { lotRegistry: string; attestationRegistry?: string | undefined; ddsRegistry?: string | undefined; payoutRegistry?: string | undefined };

/** The address a request of this kind goes to, or null when that contract is not deployed. */
export function callAddressOf(kind: CallKind, targets: CallTargets): string | null {
  return targets[callTargetOf(kind)] ?? null;
}
