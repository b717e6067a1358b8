import type { ContractRunner } from "ethers";
import { lotRegistryAt } from "../chain/contracts";
import { Role, type RoleName } from "./roles";

/** What the chain says of a member now: whether it may act, and its roles. */
export type MemberStanding = { active: boolean; roles: number };

/** Reads a member's standing from the membership registry (the lot registry); null for a member the chain does not know. */
export type MemberStandingReader = (memberId: bigint) => Promise<MemberStanding | null>;

export function memberStandingReader(registry: string, runner: ContractRunner): MemberStandingReader {
  const members = lotRegistryAt(registry, runner);
  return async (memberId) => {
    if (memberId <= 0n || memberId >= 2n ** 64n) return null;
    try {
      const [member] = await members.getMember(memberId);
      return { active: member.active, roles: Number(member.roles) };
    } catch (error) {
      // The registry reverts for an id it never issued; anything else (the node is down) is not an answer.
      if ((error as { code?: unknown }).code === "CALL_EXCEPTION") return null;
      throw error;
    }
  };
}

/** Whether the member is active and holds `role`. */
export function actsAs(standing: MemberStanding | null, role: RoleName): boolean {
  return standing !== null && standing.active && (standing.roles & Role[role]) !== 0;
}
