import { Governance__factory } from "../typechain-types";
import { lotRegistryAt } from "../src/chain/contracts";
import { ensureContract, sendAll, type DeployStep } from "./context";

/**
 * The governance contract, set on the membership registry: from then on governor membership, the
 * form catalogue, the lot observer, schemes and accreditations change only by its proposals (a
 * quorum of governors and a delay). Deployed last, so the steps before it set the first catalogue
 * up directly; their later runs go through it.
 */
export const governanceStep: DeployStep = {
  id: "005_governance",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const lotRegistry = context.deployments.contracts.LotRegistry.address;
    const { delaySeconds, quorum } = context.governance;
    const address = await ensureContract(context, "Governance", () =>
      new Governance__factory(context.signer).deploy(forwarder, lotRegistry, delaySeconds, quorum),
    );
    const lots = lotRegistryAt(lotRegistry, context.signer);
    const current = await lots.governance();
    if (current.toLowerCase() === address.toLowerCase()) return;
    if (current !== "0x0000000000000000000000000000000000000000") {
      throw new Error(`the lot registry is governed by ${current}, not by the recorded Governance ${address}`);
    }
    await sendAll(context.signer, [(overrides) => lots.setGovernance(address, overrides)]);
    context.log(`governance: set (delay ${delaySeconds} s, quorum ${quorum})`);
  },
};
