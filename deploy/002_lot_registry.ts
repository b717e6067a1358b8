import { ZeroHash, hexlify, toUtf8Bytes } from "ethers";
import { LotRegistry__factory } from "../typechain-types";
import { ensureContract, type DeployStep } from "./context";

/**
 * The lot registry, which is also the membership registry (and Besu's account-permissioning
 * contract). The deployer becomes member 1, the network's first governor, of `governorCountry`.
 */
export const lotRegistryStep: DeployStep = {
  id: "002_lot_registry",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const governor = await context.signer.getAddress();
    await ensureContract(context, "LotRegistry", () =>
      new LotRegistry__factory(context.signer).deploy(forwarder, governor, hexlify(toUtf8Bytes(context.governorCountry)), ZeroHash),
    );
  },
};
