import { ERC2771Forwarder__factory } from "../typechain-types";
import { FORWARDER_DOMAIN_NAME } from "../src/relay/forwardRequest";
import { ensureContract, type DeployStep } from "./context";

/** The forwarder's EIP-712 domain name is the one members sign `ForwardRequest`s for. */
export const forwarderStep: DeployStep = {
  id: "001_forwarder",
  async run(context) {
    await ensureContract(context, "Forwarder", () =>
      new ERC2771Forwarder__factory(context.signer).deploy(FORWARDER_DOMAIN_NAME),
    );
  },
};
