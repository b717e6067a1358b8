import { PayoutRegistry__factory } from "../typechain-types";
import { ensureContract, type DeployStep } from "./context";

/**
 * The payout registry: premium commitments on lots and payout-run roots. It has no governed
 * settings (roles come from the membership registry), so deploying it needs no proposal.
 */
export const payoutsStep: DeployStep = {
  id: "007_payouts",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const lotRegistry = context.deployments.contracts.LotRegistry.address;
    await ensureContract(context, "PayoutRegistry", () => new PayoutRegistry__factory(context.signer).deploy(forwarder, lotRegistry));
  },
};
