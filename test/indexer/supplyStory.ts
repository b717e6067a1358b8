import { ZeroHash, id, type ContractTransactionResponse, type Signer } from "ethers";
import type { EmbeddedChain } from "../../src/gateway/embeddedChain";
import { FormId } from "../../src/lots/forms";
import { Role } from "../../src/membership/roles";
import { schemeByKey, SubjectKind } from "../../src/attestations/schemes";
import { AttestationRegistry__factory, Governance__factory, LotRegistry__factory, type LotRegistry } from "../../typechain-types";

/**
 * A scripted first-mile story on a real chain, in two parts, with every id it creates:
 *
 * Part 1 (cocoa): a cooperative (two field phones) mints a day's three deliveries in a batch and
 * one more alone, attaches a weigh ticket, merges two deliveries; the processor rejects the first
 * offer of the merged lot and accepts the second (weighing 0.5 kg less); an offer of the third
 * delivery is cancelled; the processor dries the merged lot, splits the dry beans, and hands one
 * part to a chocolate brand.
 *
 * Part 2 (rubber and governance): two cup-lump deliveries handed to the processor and transformed
 * into TSR 20 with evidence; governors suspend a phone, change the brand's roles and metadata, a
 * form's tolerance and a yield bound.
 *
 * Part 3 (attestations): a certifier, accredited for the organic (segregated) and premium (mass
 * balance) schemes, attests the processor's second part of dry beans for both (organic expiring
 * soon), the TSR 20 lot for organic (then revokes it), a plot and the cooperative. The processor
 * splits the attested part (organic carried to both halves; premium credited to it by grams),
 * marks one half claimed against its credit and hands it to the brand (claim spent, brand credited).
 */
export type SupplyStory = {
  registry: string;
  accounts: { governor: string; cooperative: string; cooperativePhone: string; processor: string; brand: string };
  members: { governor: bigint; cooperative: bigint; processor: bigint; brand: bigint };
  lots: {
    deliveries: bigint[]; // 3 in a batch, then 1 alone
    merged: bigint;
    dried: bigint;
    parts: bigint[];
    cupLumps: bigint[];
    tsr20: bigint;
  };
  /** Last block of each part. */
  part1Block: number;
  part2Block: number;
  part3Block: number;
  attestations: {
    certifierMember: bigint;
    organic: number;
    premium: number;
    eudr: number;
    farm: number;
    /** Expiry of the organic attestation of the second part (Unix seconds). */
    organicExpiresAt: number;
    /** uids */
    partOrganic: string;
    partPremium: string;
    tsrOrganic: string;
    /** The halves of the second part. */
    halves: bigint[];
    plot: string;
  };
};

export const Form = FormId;

export const digest = (label: string) => id(label);

type Actor = { signer: Signer; address: string; lots: LotRegistry };

export async function runSupplyStory(chain: EmbeddedChain): Promise<SupplyStory> {
  const registry = chain.deployments.contracts.LotRegistry!.address;
  const provider = chain.provider;
  const actor = async (index: number): Promise<Actor> => {
    const signer = await provider.getSigner(index);
    return { signer, address: (await signer.getAddress()).toLowerCase(), lots: LotRegistry__factory.connect(registry, signer) };
  };
  const [governor, cooperative, processor, brand, phone] = await Promise.all([0, 1, 2, 3, 5].map(actor));
  const send = async (call: Promise<ContractTransactionResponse>) => {
    const transaction = await call;
    await provider.send("evm_mine", []);
    const receipt = await transaction.wait();
    if (receipt?.status !== 1) throw new Error(`transaction ${transaction.hash} failed`);
    return receipt;
  };
  const next = (who: Actor) => governor!.lots.nextLotId(who.address);
  const delivery = (form: number, grams: bigint, tag: string) => ({ form, grams, metadata: digest(`metadata ${tag}`), origin: digest(`origin ${tag}`) });
  const output = (form: number, grams: bigint, tag: string) => ({ form, grams, metadata: digest(`metadata ${tag}`) });

  // --- Part 1: cocoa.
  await send(governor!.lots.addMember(Role.cooperative, "0x4944", digest("member coop"), [cooperative!.address, phone!.address]));
  await send(governor!.lots.addMember(Role.processor, "0x4944", digest("member processor"), [processor!.address]));
  await send(governor!.lots.addMember(Role.brand, "0x4e4c", digest("member brand"), [brand!.address]));
  const members = { governor: 1n, cooperative: 2n, processor: 3n, brand: 4n };

  const firstDelivery = await next(cooperative!);
  await send(
    cooperative!.lots.mintBatch([
      delivery(Form.wetBeans, 100_000n, "d1"),
      delivery(Form.wetBeans, 120_000n, "d2"),
      delivery(Form.wetBeans, 80_000n, "d3"),
    ]),
  );
  const single = await next(phone!);
  await send(phone!.lots.mint(delivery(Form.wetBeans, 50_000n, "d4")));
  const deliveries = [firstDelivery, firstDelivery + 1n, firstDelivery + 2n, single];
  await send(cooperative!.lots.attachEvidence(deliveries[0]!, digest("weigh ticket d1")));

  const merged = await next(cooperative!);
  await send(cooperative!.lots.merge([deliveries[0]!, deliveries[1]!], digest("metadata merged")));
  await send(cooperative!.lots.offer(merged, processor!.address));
  await send(processor!.lots.reject(merged, 2));
  await send(phone!.lots.offer(merged, processor!.address));
  await send(processor!.lots.accept(merged, 219_500n));
  await send(cooperative!.lots.offer(deliveries[2]!, processor!.address));
  await send(cooperative!.lots.cancel(deliveries[2]!));

  const dried = await next(processor!);
  await send(processor!.lots.transform([merged], [output(Form.dryBeans, 80_000n, "dried")]));
  const firstPart = await next(processor!);
  await send(processor!.lots.split(dried, [output(Form.dryBeans, 50_000n, "part 1"), output(Form.dryBeans, 30_000n, "part 2")]));
  const parts = [firstPart, firstPart + 1n];
  await send(processor!.lots.offer(parts[0]!, brand!.address));
  const part1Receipt = await send(brand!.lots.accept(parts[0]!, 50_000n));

  // --- Part 2: rubber and governance.
  const firstCupLump = await next(cooperative!);
  await send(cooperative!.lots.mintBatch([delivery(Form.cupLump, 40_000n, "c1"), delivery(Form.cupLump, 60_000n, "c2")]));
  const cupLumps = [firstCupLump, firstCupLump + 1n];
  for (const lot of cupLumps) {
    await send(cooperative!.lots.offer(lot, processor!.address));
    await send(processor!.lots.accept(lot, lot === cupLumps[0] ? 39_000n : 60_000n));
  }
  const tsr20 = await next(processor!);
  await send(processor!.lots.transform(cupLumps, [output(Form.tsr20, 55_000n, "tsr20")]));
  await send(processor!.lots.attachEvidence(tsr20, digest("lab report tsr20")));
  await send(governor!.lots.setAccountActive(phone!.address, false));
  await send(governor!.lots.setRoles(members.brand, Role.brand | Role.processor));
  await send(brand!.lots.setMetadata(members.brand, digest("member brand v2")));
  // Catalogue changes go through governance: proposed and, on this one-governor network, run at once.
  const governance = Governance__factory.connect(chain.deployments.contracts.Governance!.address, governor!.signer);
  const governed = async (data: string) => {
    await send(governance.propose(registry, data, ZeroHash));
    return send(governance.execute(registry, data, ZeroHash));
  };
  await governed(governor!.lots.interface.encodeFunctionData("setFormTolerance", [Form.cupLump, 600, 50]));
  const part2Receipt = await governed(governor!.lots.interface.encodeFunctionData("setYieldBounds", [Form.cupLump, Form.tsr20, 4_000, 7_000]));

  // --- Part 3: attestations.
  const certifierSigner = await provider.getSigner(4);
  const certifier = (await certifierSigner.getAddress()).toLowerCase();
  const registryOf = (signer: Signer) => AttestationRegistry__factory.connect(chain.deployments.contracts.AttestationRegistry!.address, signer);
  const asGovernor = registryOf(governor!.signer);
  const asCertifier = registryOf(certifierSigner);
  const asProcessor = registryOf(processor!.signer);
  const schemeId = async (key: string) => Number(await asGovernor.schemeIdOf(schemeByKey(key).name, schemeByKey(key).version));
  const [organic, premium, eudr, farm] = await Promise.all(["organic", "fair-price-premium", "no-forest-loss-since-2020", "certified-farm"].map(schemeId));
  await send(governor!.lots.addMember(Role.certifier, "0x4445", digest("member certifier"), [certifier]));
  const certifierMember = 5n;
  const farFuture = 4_000_000_000;
  const attestationRegistry = chain.deployments.contracts.AttestationRegistry!.address;
  for (const scheme of [organic!, premium!, eudr!, farm!]) {
    const data = asGovernor.interface.encodeFunctionData("accredit", [scheme, certifierMember, farFuture]);
    await send(governance.propose(attestationRegistry, data, ZeroHash));
    await send(governance.execute(attestationRegistry, data, ZeroHash));
  }
  const now = (await provider.getBlock("latest"))!.timestamp;
  const organicExpiresAt = now + 3_600;
  const lotSubject = (lotId: bigint) => `0x${lotId.toString(16).padStart(64, "0")}`;
  const uidOf = async (receipt: Awaited<ReturnType<typeof send>>) => {
    for (const log of receipt.logs) {
      const parsed = asGovernor.interface.parseLog(log);
      if (parsed?.name === "Attested") return String(parsed.args.uid).toLowerCase();
    }
    throw new Error("no Attested event");
  };
  const request = (kind: number, subject: string, expiresAt: number, label: string) => ({
    subjectKind: kind,
    subject,
    expiresAt,
    evidence: digest(`audit ${label}`),
    dataHash: digest(`data ${label}`),
  });
  const partOrganic = await uidOf(await send(asCertifier.attest(organic!, request(SubjectKind.lot, lotSubject(parts[1]!), organicExpiresAt, "part organic"))));
  const partPremium = await uidOf(await send(asCertifier.attest(premium!, request(SubjectKind.lot, lotSubject(parts[1]!), 0, "part premium"))));
  const tsrOrganic = await uidOf(await send(asCertifier.attest(organic!, request(SubjectKind.lot, lotSubject(tsr20), 0, "tsr organic"))));
  const plot = digest("plot geometry 7");
  await send(asCertifier.attest(eudr!, request(SubjectKind.plot, plot, 0, "plot")));
  await send(asCertifier.attest(farm!, request(SubjectKind.member, lotSubject(members.cooperative), 0, "farm")));
  await send(asCertifier.revoke(tsrOrganic, 2));
  const firstHalf = await next(processor!);
  await send(processor!.lots.split(parts[1]!, [output(Form.dryBeans, 15_000n, "half 1"), output(Form.dryBeans, 15_000n, "half 2")]));
  const halves = [firstHalf, firstHalf + 1n];
  await send(asProcessor.markClaimed(premium!, [halves[0]!]));
  await send(processor!.lots.offer(halves[0]!, brand!.address));
  const part3Receipt = await send(brand!.lots.accept(halves[0]!, 15_000n));

  return {
    registry: registry.toLowerCase(),
    accounts: {
      governor: governor!.address,
      cooperative: cooperative!.address,
      cooperativePhone: phone!.address,
      processor: processor!.address,
      brand: brand!.address,
    },
    members,
    lots: { deliveries, merged, dried, parts, cupLumps, tsr20 },
    part1Block: part1Receipt.blockNumber,
    part2Block: part2Receipt.blockNumber,
    part3Block: part3Receipt.blockNumber,
    attestations: {
      certifierMember,
      organic: organic!,
      premium: premium!,
      eudr: eudr!,
      farm: farm!,
      organicExpiresAt,
      partOrganic,
      partPremium,
      tsrOrganic,
      halves,
      plot,
    },
  };
}
