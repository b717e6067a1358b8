import { AttestationRegistry__factory, LotRegistry__factory } from "../typechain-types";
import { ChainOfCustody, DEMO_SCHEMES, subjectsToBits } from "../src/attestations/schemes";
import { catalogueLine, ensureContract, sendAll, type DeployStep } from "./context";

/**
 * The attestation registry: deployed, set as the lot registry's observer (so claims follow lots
 * through split, merge, transform and handover), and the demo schemes registered. Each part only
 * if the chain does not have it yet.
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
    if (needsObserver) await sendAll(context.signer, [(overrides) => lots.setLotObserver(address, overrides)]);

    const attestations = AttestationRegistry__factory.connect(address, context.signer);
    const missing = [];
    for (const scheme of DEMO_SCHEMES) {
      if ((await attestations.schemeIdOf(scheme.name, scheme.version)) === 0n) missing.push(scheme);
    }
    await sendAll(
      context.signer,
      missing.map((scheme) => (overrides) =>
        attestations.registerScheme(
          scheme.name,
          scheme.version,
          ChainOfCustody[scheme.model],
          subjectsToBits(scheme.subjects),
          scheme.defaultValiditySeconds,
          overrides,
        ),
      ),
    );
    context.log(
      `attestations: observer ${needsObserver ? "set" : "already set"}, ${catalogueLine([{ total: DEMO_SCHEMES.length, noun: "schemes", changed: missing.length, verb: "new" }])}`,
    );
  },
};
