import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, LogDescription } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  AttestationRegistry__factory,
  type AttestationRegistry,
  type IAttestationRegistry,
} from "../../typechain-types";
import { ChainOfCustody, DEMO_SCHEMES, SubjectKind, numberSubject, subjectsToBits } from "../../src/attestations";
import { Role, country, digest, networkFixture, output, receiptOf } from "./fixtures";

export { ChainOfCustody, SubjectKind, numberSubject };

/** Scheme ids in the order the fixture registers them: the four demo schemes, then a test-only one. */
export const Scheme = {
  eudr: 1n,
  farm: 2n,
  fairtrade: 3n,
  organic: 4n,
  singleOrigin: 5n,
} as const;

export const DAY = 24n * 60n * 60n;
export const YEAR = 365n * DAY;
/** `type(uint48).max`: a carried or marked claim without expiry. */
export const NO_EXPIRY = (1n << 48n) - 1n;
/** `IAttestationRegistry.ClaimState`. */
export const ClaimState = { None: 0n, Carried: 1n, Marked: 2n, Spent: 3n, Withdrawn: 4n, Origin: 5n } as const;

/**
 * The network of `networkFixture` plus the attestation registry, set as the lot observer, with the
 * demo schemes and an identity-preserved "single origin" lot scheme registered. The certifier member
 * is accredited for every scheme for two years; a second certifier member (`otherCertifier`) for none.
 */
export async function attestationFixture() {
  const network = await networkFixture();
  const { governor, registry, forwarder, spare1, spare2 } = network;
  const attestations = await new AttestationRegistry__factory(governor).deploy(forwarder, registry);
  await registry.connect(governor).setLotObserver(attestations);

  for (const scheme of DEMO_SCHEMES) {
    await attestations.registerScheme(
      scheme.name,
      scheme.version,
      ChainOfCustody[scheme.model],
      subjectsToBits(scheme.subjects),
      scheme.defaultValiditySeconds,
    );
  }
  await attestations.registerScheme(
    "single origin",
    "1.0",
    ChainOfCustody.identityPreserved,
    subjectsToBits(["lot"]),
    YEAR,
  );

  const otherCertifierMember = await registry.memberCount() + 1n;
  await registry.addMember(Role.certifier, country("TH"), digest("member other certifier"), [spare1]);
  const accreditedUntil = BigInt(await time.latest()) + 2n * YEAR;
  for (const scheme of Object.values(Scheme)) {
    await attestations.accredit(scheme, network.members.certifier, accreditedUntil);
  }

  return {
    ...network,
    attestations,
    accreditedUntil,
    otherCertifier: spare1,
    auditor2: spare2,
    members: { ...network.members, otherCertifier: otherCertifierMember },
  };
}

export type AttestationNetwork = Awaited<ReturnType<typeof attestationFixture>>;

/** An attestation request; `expiresAt` 0 takes the scheme's default validity. */
export function request(
  subjectKind: keyof typeof SubjectKind,
  subject: string | bigint,
  expiresAt: bigint = 0n,
  tag = `${subjectKind}/${subject}`,
): IAttestationRegistry.AttestationRequestStruct {
  return {
    subjectKind: SubjectKind[subjectKind],
    subject: typeof subject === "bigint" ? numberSubject(subject) : subject,
    expiresAt,
    evidence: digest(`evidence ${tag}`),
    dataHash: digest(`data ${tag}`),
  };
}

/** The logs of `receipt` emitted by the attestation registry under `eventName`, decoded. */
export function attestationLogs(
  receipt: ContractTransactionReceipt,
  attestations: AttestationRegistry,
  eventName: string,
): LogDescription[] {
  const address = String(attestations.target).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => attestations.interface.parseLog(log))
    .filter((parsed): parsed is LogDescription => parsed !== null && parsed.name === eventName);
}

/** Attests a lot for `scheme` as the accredited certifier and returns the uid. */
export async function attestLot(
  network: AttestationNetwork,
  lotId: bigint,
  scheme: bigint,
  expiresAt: bigint = 0n,
  certifier: HardhatEthersSigner = network.certifier,
): Promise<string> {
  const receipt = await receiptOf(
    network.attestations.connect(certifier).attest(scheme, request("lot", lotId, expiresAt)),
  );
  return attestationLogs(receipt, network.attestations, "Attested")[0].args.uid;
}

/** Moves chain time so that the next block's timestamp is `timestamp`. */
export async function nextBlockAt(timestamp: bigint): Promise<void> {
  await time.setNextBlockTimestamp(timestamp);
}

/** Mines an empty block at `timestamp`, so views (eth_call on the latest block) see that time. */
export async function mineAt(timestamp: bigint): Promise<void> {
  await time.increaseTo(timestamp);
}

/** Splits `lotId` held by `holder` into parts of `grams` and returns the part ids. */
export async function split(network: AttestationNetwork, holder: HardhatEthersSigner, lotId: bigint, grams: bigint[]): Promise<bigint[]> {
  const first = await network.registry.nextLotId(holder);
  const { lot } = await network.registry.getLot(lotId);
  await network.registry.connect(holder).split(lotId, grams.map((g) => output(Number(lot.form), g)));
  return grams.map((_, index) => first + BigInt(index));
}

/** Merges `lotIds` held by `holder` and returns the merged lot's id. */
export async function merge(network: AttestationNetwork, holder: HardhatEthersSigner, lotIds: bigint[]): Promise<bigint> {
  const id = await network.registry.nextLotId(holder);
  await network.registry.connect(holder).merge(lotIds, output(0, 0n).metadata);
  return id;
}

export { ethers };
