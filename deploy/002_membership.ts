import { encodeBytes32String, ZeroHash } from "ethers";
import { Membership__factory } from "../typechain-types";
import { ensureContract, type DeployStep } from "./context";

/** The deployer becomes member 1, the network's first governor. */
export const membershipStep: DeployStep = {
  id: "002_membership",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const governor = await context.signer.getAddress();
    const country = encodeBytes32String("ID").slice(0, 6); // bytes2 "ID"
    await ensureContract(context, "Membership", () =>
      new Membership__factory(context.signer).deploy(forwarder, governor, country, ZeroHash),
    );
  },
};
