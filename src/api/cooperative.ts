import type { JsonRpcProvider } from "ethers";
import { lotRegistryAt } from "../chain/contracts";
import { Role } from "../membership/roles";
import { forbidden } from "./problem";

/**
 * A check that a member is an active cooperative, read from the chain (not the read model: a
 * cooperative added a block ago may act at once). Throws 403 otherwise.
 */
export function cooperativeGuard(registry: string, provider: JsonRpcProvider, doing = "register their farmers' plots"): (memberId: bigint) => Promise<void> {
  const members = lotRegistryAt(registry, provider);
  return async (memberId) => {
    const [member] = await members.getMember(memberId);
    if (!member.active || (Number(member.roles) & Role.cooperative) === 0) {
      throw forbidden(`member ${memberId} is not an active cooperative: only cooperatives ${doing}`);
    }
  };
}
