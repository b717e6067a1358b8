import { AttestationRegistry__factory } from "../typechain-types";
import { attestationRegistryAt, lotRegistryAt } from "../src/chain/contracts";
import { applyChanges, ensureContract, type DeployStep } from "./context";

/**
 * The attestation registry: deployed, set as the lot registry's observer (so claims follow lots
 * through split, merge, transform and handover). Each part only if the chain does not have it yet;
 * once governance is set, as a proposal. It registers no scheme: a real network's governors
 * register theirs by proposals; the demo's come from `deploy/demo/` on a development chain only.
 */
export const attestationsStep: DeployStep = {
  id: "004_attestations",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const lotRegistry = context.deployments.contracts.LotRegistry.address;
    const address = await ensureContract(context, "AttestationRegistry", () =>
      new AttestationRegistry__factory(context.signer).deploy(forwarder, lotRegistry),
    );
    const lots = lotRegistryAt(lotRegistry, context.signer);
    const needsObserver = (await lots.lotObserver()).toLowerCase() !== address.toLowerCase();
    if (needsObserver) {
      await applyChanges(context, [{
        target: lotRegistry,
        data: lots.interface.encodeFunctionData("setLotObserver", [address]),
        description: `setLotObserver(${address})`,
      }]);
    }

    const count = await attestationRegistryAt(address, context.signer).schemeCount();
    context.log(`attestations: observer ${needsObserver ? "set" : "already set"}, ${count} schemes`);
  },
};
