import { z } from "zod";
import { lotRegistryInterface } from "../chain/contracts";
import { addressSchema, uintString } from "./lotCalls";

/**
 * The membership calls a cooperative makes on its own accounts with its custodial key (the
 * registry lets a cooperative enrol and suspend its own field agents' phones): their request
 * schemas and calldata, as lotCalls.ts does for lots.
 */
const UINT64_MAX = 2n ** 64n - 1n;
const account = addressSchema.optional().describe("custodial account of the member that acts; default its first");

export const memberCallSchemas = {
  "members.addAccount": z
    .object({
      account,
      memberId: uintString(UINT64_MAX, "memberId"),
      newAccount: addressSchema.describe("the account to attach (a field agent's phone)"),
    })
    .strict(),
  "members.setAccountActive": z
    .object({ account, target: addressSchema.describe("the member's own account"), active: z.boolean() })
    .strict(),
} as const;

export type MemberCallKind = keyof typeof memberCallSchemas;
export type MemberCallPayload<K extends MemberCallKind = MemberCallKind> = z.output<(typeof memberCallSchemas)[K]>;

export function isMemberCallKind(kind: string): kind is MemberCallKind {
  return Object.prototype.hasOwnProperty.call(memberCallSchemas, kind);
}

/** The registry calldata of a request (its payload as the schema outputs it). */
export function encodeMemberCall(kind: MemberCallKind, payload: unknown): string {
  switch (kind) {
    case "members.addAccount": {
      const p = payload as MemberCallPayload<"members.addAccount">;
      return lotRegistryInterface.encodeFunctionData("addAccount", [p.memberId, p.newAccount]);
    }
    case "members.setAccountActive": {
      const p = payload as MemberCallPayload<"members.setAccountActive">;
      return lotRegistryInterface.encodeFunctionData("setAccountActive", [p.target, p.active]);
    }
  }
}
