import { AttestationRegistry__factory, LotRegistry__factory } from "../typechain-types";
import { ChainOfCustody, DEMO_SCHEMES, registeredSchemeId, subjectsToBits } from "../src/attestations/schemes";
import type { GovernedCall } from "../src/governance/governedCall";
import { applyChanges, catalogueLine, ensureContract, type DeployStep } from "./context";

/**
 * The attestation registry: deployed, set as the lot registry's observer (so claims follow lots
 * through split, merge, transform and handover), and, on a development network, the demo schemes
 * registered. Each part only if the chain does not have it yet; once governance is set, as proposals.
 */
export const attestationsStep: DeployStep = {
  id: "004_attestations",
  async run(context) {
    const forwarder = context.deployments.contracts.Forwarder.address;
    const lotRegistry = context.deployments.contracts.LotRegistry.address;
    const address = await ensureContract(context, "AttestationRegistry", () =>
      new AttestationRegistry__factory(context.signer).deploy(forwarder, lotRegistry),
    );
    const lots = LotRegistry__factory.connect(lotRegistry, context.signer);
    const needsObserver = (await lots.lotObserver()).toLowerCase() !== address.toLowerCase();
    if (needsObserver) {
      await applyChanges(context, [{
        target: lotRegistry,
        data: lots.interface.encodeFunctionData("setLotObserver", [address]),
        description: `setLotObserver(${address})`,
      }]);
    }

    const attestations = AttestationRegistry__factory.connect(address, context.signer);
    const missing: GovernedCall[] = [];
    for (const scheme of context.demoSchemes ? DEMO_SCHEMES : []) {
      // A chain deployed before a scheme was renamed keeps it under its former name.
      if ((await registeredSchemeId(attestations, scheme)) !== 0) continue;
      missing.push({
        target: address,
        description: `registerScheme("${scheme.name}", "${scheme.version}")`,
        data: attestations.interface.encodeFunctionData("registerScheme", [
          scheme.name,
          scheme.version,
          ChainOfCustody[scheme.model],
          subjectsToBits(scheme.subjects),
          scheme.defaultValiditySeconds,
        ]),
      });
    }
    // One at a time, in catalogue order: scheme ids are sequential.
    let registered = 0;
    for (const scheme of missing) registered += await applyChanges(context, [scheme]);
    const count = await attestations.schemeCount();
    context.log(
      `attestations: observer ${needsObserver ? "set" : "already set"}, ${catalogueLine([
        { total: Number(count), noun: "schemes", changed: registered, verb: "new" },
      ])}`,
    );
  },
};
