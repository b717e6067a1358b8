import { LotRegistry__factory } from "../typechain-types";
import { ensureContract, type DeployStep } from "./context";

export const lotRegistryStep: DeployStep = {
  id: "003_lot_registry",
  async run(context) {
    const { Forwarder, Membership } = context.deployments.contracts;
    await ensureContract(context, "LotRegistry", () =>
      new LotRegistry__factory(context.signer).deploy(Forwarder.address, Membership.address),
    );
  },
};
