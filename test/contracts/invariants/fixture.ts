import { time } from "@nomicfoundation/hardhat-network-helpers";
import { AttestationRegistry__factory, Governance__factory } from "../../../typechain-types";
import { ChainOfCustody, DEMO_SCHEMES, subjectsToBits } from "../../../src/attestations";
import { DAY, Scheme, YEAR } from "../attestationFixtures";
import { Role, catalogueNetworkFixture, country, digest } from "../fixtures";

/** Approvals a proposal needs, and the seconds between proposing and executing it. */
export const GOVERNANCE_QUORUM = 2;
export const GOVERNANCE_DELAY = DAY;

/**
 * The network the invariant suite runs on: the form catalogue exactly as deployed (only origin forms
 * mintable), the attestation registry as lot observer with the demo schemes and a "single origin"
 * identity-preserved scheme, the certifier member accredited for every scheme for two years, a
 * second certifier member accredited for none, three governor members, and the Governance contract
 * (quorum 2, a day's delay) set last, so from then on governors change governors, tolerances and the
 * catalogue only through proposals.
 */
export async function invariantFixture() {
  const network = await catalogueNetworkFixture();
  const { governor, registry, forwarder, spare1, spare2 } = network;
  const attestations = await new AttestationRegistry__factory(governor).deploy(forwarder, registry);
  await registry.connect(governor).setLotObserver(attestations);
  for (const scheme of DEMO_SCHEMES) {
    await attestations.registerScheme(scheme.name, scheme.version, ChainOfCustody[scheme.model], subjectsToBits(scheme.subjects), scheme.defaultValiditySeconds);
  }
  await attestations.registerScheme("single origin", "1.0", ChainOfCustody.identityPreserved, subjectsToBits(["lot"]), YEAR);

  const otherCertifierMember = (await registry.memberCount()) + 1n;
  await registry.addMember(Role.certifier, country("TH"), digest("member other certifier"), [spare1]);
  const governor3Member = (await registry.memberCount()) + 1n;
  await registry.addMember(Role.governor, country("TH"), digest("member governor 3"), [spare2]);
  const accreditedUntil = BigInt(await time.latest()) + 2n * YEAR;
  for (const scheme of Object.values(Scheme)) {
    await attestations.accredit(scheme, network.members.certifier, accreditedUntil);
  }

  const governance = await new Governance__factory(governor).deploy(forwarder, registry, GOVERNANCE_DELAY, GOVERNANCE_QUORUM);
  await registry.setGovernance(governance);

  return {
    ...network,
    attestations,
    governance,
    accreditedUntil,
    otherCertifier: spare1,
    governor3: spare2,
    members: { ...network.members, otherCertifier: otherCertifierMember, governor3: governor3Member },
  };
}

export type InvariantNetwork = Awaited<ReturnType<typeof invariantFixture>>;
