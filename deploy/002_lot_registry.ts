import { ZeroHash } from "ethers";
import { LotRegistry__factory } from "../typechain-types";
import { ensureContract, type DeployStep } from "./context";

/** The "ID" country code as bytes2. */
const INDONESIA = "0x4944";

/**
 * The lot registry, which is also the membership registry (and Besu's account-permissioning
 * contract). The deployer becomes member 1, the network's first governor.
 */
export const lotRegistryStep: DeployStep = {
  id: "002_lot_registry",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const governor = await context.signer.getAddress();
    await ensureContract(context, "LotRegistry", () =>
      new LotRegistry__factory(context.signer).deploy(forwarder, governor, INDONESIA, ZeroHash),
    );
  },
};
