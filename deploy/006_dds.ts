import { DdsRegistry__factory } from "../typechain-types";
import { ensureContract, type DeployStep } from "./context";

/**
 * The DDS registry: members record the reference and verification numbers of the due diligence
 * statements they filed in the EU information system against the lots they cover (docs/eudr.md).
 * It holds no rules a governor sets, so it needs nothing but deploying.
 */
export const ddsStep: DeployStep = {
  id: "006_dds",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const lotRegistry = context.deployments.contracts.LotRegistry.address;
    await ensureContract(context, "DdsRegistry", () => new DdsRegistry__factory(context.signer).deploy(forwarder, lotRegistry));
  },
};
