import { ERC2771Forwarder__factory } from "../typechain-types";
import { ensureContract, type DeployStep } from "./context";

/** The EIP-712 domain name of the forwarder: members sign `ForwardRequest`s for it. */
export const FORWARDER_NAME = "firstmile";

export const forwarderStep: DeployStep = {
  id: "001_forwarder",
  async run(context) {
    await ensureContract(context, "Forwarder", () =>
      new ERC2771Forwarder__factory(context.signer).deploy(FORWARDER_NAME),
    );
  },
};
