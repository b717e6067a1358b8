import { attestationRegistryAt } from "../../src/chain/contracts";
import { ChainOfCustody, DEMO_SCHEMES, registeredSchemeId, subjectsToBits } from "../../src/attestations/schemes";
import type { GovernedCall } from "../../src/governance/governedCall";
import { applyChanges, catalogueLine, type DeployStep } from "../context";

/**
 * The demo story's schemes (no forest loss, organic, fair-price premium, ...), registered on a
 * development chain only: `deployAll` runs the demo steps there and nowhere else. Each one only
 * if the chain does not have it yet (a chain deployed before a scheme was renamed keeps it under
 * its former name); once governance is set, as proposals.
 */
export const demoSchemesStep: DeployStep = {
  id: "demo/001_demo_schemes",
  async run(context) {
    const address = context.deployments.contracts.AttestationRegistry.address;
    const attestations = attestationRegistryAt(address, context.signer);
    const missing: GovernedCall[] = [];
    for (const scheme of DEMO_SCHEMES) {
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
    context.log(`demo schemes: ${catalogueLine([{ total: Number(count), noun: "schemes", changed: registered, verb: "new" }])}`);
  },
};
