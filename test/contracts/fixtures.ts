import { ethers } from "hardhat";
import type { ContractTransactionReceipt, ContractTransactionResponse, LogDescription } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  ERC2771Forwarder__factory,
  FormCatalogue__factory,
  LotRegistry__factory,
  type ERC2771Forwarder,
  type ILotRegistry,
  type LotRegistry,
} from "../../typechain-types";
import { Commodity, FORMS, YIELDS, FormId, formByKey, yieldOutputId } from "../../src/lots/forms";
import { Role } from "../../src/membership/roles";

export { Role };

/** Role sets as the contracts ask for them (contracts/membership/Roles.sol). */
export const Roles = {
  all: (1 << 6) - 1,
  custodians: Role.cooperative | Role.processor | Role.brand,
} as const;

/** ILotRegistry.LotStatus. */
export const LotStatus = { None: 0n, Active: 1n, InTransit: 2n, Consumed: 3n } as const;

/** Form ids of the catalogue (src/lots/forms.ts), by the names the tests use. */
export const Form = FormId;

export const MAX_BATCH = 500;
/** Most outputs of one split or transform (LotRegistry.MAX_OUTPUTS). */
export const MAX_OUTPUTS = 200;
export const MAX_FORM = 255;
/** Lot ids are `accountNumber * LOT_ID_BASE + sequence`, each account numbering its own lots from 1. */
export const LOT_ID_BASE = 1_000_000_000n;
export const MAX_ACCOUNTS = 64;

/** A bytes2 ISO country code as the membership contract stores it. */
export function country(code: string): string {
  return ethers.hexlify(ethers.toUtf8Bytes(code));
}

/** A stand-in for the sha2-256 digest of an IPFS document: any bytes32 named by `label`. */
export function digest(label: string): string {
  return ethers.id(label);
}

/** A delivery of `grams` of `form`; `quality` in basis points (moisture or DRC), 0 = not measured. */
export function delivery(form: number, grams: bigint, tag: string = `${form}/${grams}`, quality = 0): ILotRegistry.DeliveryStruct {
  return { form, grams, quality, metadata: digest(`delivery metadata ${tag}`), origin: digest(`plot and farmer ${tag}`) };
}

export function output(form: number, grams: bigint, tag: string = `${form}/${grams}`, quality = 0): ILotRegistry.OutputStruct {
  return { form, grams, quality, metadata: digest(`output metadata ${tag}`) };
}

/** A declared non-traced ingredient (ILotRegistry.Ingredient): its name as UTF-8 bytes32. */
export function ingredient(outputForm: number, grams: bigint, name: string): ILotRegistry.IngredientStruct {
  return { outputForm, grams, name: ethers.encodeBytes32String(name) };
}

/**
 * The network every contract test starts from: forwarder, membership and lot registry deployed,
 * the form catalogue and yield bounds registered, and one member per role. Every form is registered
 * mintable, so a test can start a lot at any stage (liquor, TSR 20); the catalogue's own rule, that
 * only origin forms are mintable, is tested on {catalogueNetworkFixture}.
 */
export async function networkFixture() {
  return deployNetwork({ everyFormMintable: true });
}

/** {networkFixture} with the form catalogue exactly as deployed (only origin forms mintable). */
export async function catalogueNetworkFixture() {
  return deployNetwork({ everyFormMintable: false });
}

async function deployNetwork({ everyFormMintable }: { everyFormMintable: boolean }) {
  const [governor, governor2, coopPhone1, coopPhone2, processor, brand, certifier, relayer, stranger, spare1, spare2] =
    await ethers.getSigners();

  const forwarder = await new ERC2771Forwarder__factory(governor).deploy("firstmile");
  // One contract is both the membership registry and the lot registry (membership is its abstract
  // base): `membership` and `registry` are the same contract under two names.
  const registry = await new LotRegistry__factory(governor).deploy(
    forwarder,
    governor,
    country("ID"),
    digest("member governor"),
  );
  const membership = registry;

  const members = {
    governor: 1n,
    governor2: await addMember(membership, governor, Role.governor, "MY", "member governor 2", [governor2]),
    cooperative: await addMember(membership, governor, Role.cooperative, "ID", "member cooperative", [
      coopPhone1,
      coopPhone2,
    ]),
    processor: await addMember(membership, governor, Role.processor, "ID", "member processor", [processor]),
    brand: await addMember(membership, governor, Role.brand, "TH", "member brand", [brand]),
    certifier: await addMember(membership, governor, Role.certifier, "MY", "member certifier", [certifier]),
    relayer: await addMember(membership, governor, Role.relayer, "ID", "member relayer", [relayer]),
  };

  for (const form of FORMS) {
    const mintable = everyFormMintable || form.mintable;
    await registry.registerForm(form.id, Commodity[form.commodity], form.lossBps, form.gainBps, mintable, form.name);
  }
  const catalogue = await new FormCatalogue__factory(governor).deploy(forwarder, registry);
  await registry.setFormCatalogue(catalogue);
  for (const form of FORMS) {
    if (form.dryBasis) await catalogue.setDryBasis(form.id, true);
  }
  for (const bounds of YIELDS) {
    await catalogue.setYieldBounds(formByKey(bounds.from).id, yieldOutputId(bounds.to), bounds.minBps, bounds.maxBps);
  }

  return {
    forwarder,
    membership,
    registry,
    catalogue,
    members,
    governor,
    governor2,
    coopPhone1,
    coopPhone2,
    processor,
    brand,
    certifier,
    relayer,
    stranger,
    spare1,
    spare2,
  };
}

export type Network = Awaited<ReturnType<typeof networkFixture>>;

async function addMember(
  membership: LotRegistry,
  governor: HardhatEthersSigner,
  roles: number,
  code: string,
  label: string,
  accounts: HardhatEthersSigner[],
): Promise<bigint> {
  const memberId = await membership
    .connect(governor)
    .addMember.staticCall(roles, country(code), digest(label), accounts);
  await membership.connect(governor).addMember(roles, country(code), digest(label), accounts);
  return memberId;
}

/** Waits for a transaction and returns its receipt (never null on the in-process network). */
export async function receiptOf(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

/** The logs of `receipt` emitted by `contract` under `eventName`, decoded. */
export function logsOf(
  receipt: ContractTransactionReceipt,
  contract: { target: unknown; interface: { parseLog(log: { topics: readonly string[]; data: string }): LogDescription | null } },
  eventName: string,
): LogDescription[] {
  const address = String(contract.target).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => contract.interface.parseLog(log))
    .filter((parsed): parsed is LogDescription => parsed !== null && parsed.name === eventName);
}

/** Mints `deliveries` as `custodian` in one call and returns the new lot ids. */
export async function mintLots(
  registry: LotRegistry,
  custodian: HardhatEthersSigner,
  deliveries: ILotRegistry.DeliveryStruct[],
): Promise<bigint[]> {
  const receipt = await receiptOf(registry.connect(custodian).mintBatch(deliveries));
  const [minted] = logsOf(receipt, registry, "LotsMinted");
  const first: bigint = minted.args.firstLotId;
  return deliveries.map((_, index) => first + BigInt(index));
}

export async function mintLot(
  registry: LotRegistry,
  custodian: HardhatEthersSigner,
  form: number,
  grams: bigint,
  tag?: string,
  quality = 0,
): Promise<bigint> {
  const [lotId] = await mintLots(registry, custodian, [delivery(form, grams, tag, quality)]);
  return lotId;
}

/**
 * Offers `lotId` from `from` to `to` and has `to` accept it at `gramsReceived` (the sent weight by
 * default) and `quality` (0: keeps the lot's).
 */
export async function handOver(
  registry: LotRegistry,
  lotId: bigint,
  from: HardhatEthersSigner,
  to: HardhatEthersSigner,
  gramsReceived?: bigint,
  quality = 0,
): Promise<void> {
  await registry.connect(from).offer(lotId, to);
  const grams = gramsReceived ?? (await registry.getLot(lotId)).lot.grams;
  await registry.connect(to).accept(lotId, grams, quality);
}

/** A lot minted by the cooperative's first phone and, unless `holder` is that phone, handed over to `holder`. */
export async function lotHeldBy(
  network: Network,
  holder: HardhatEthersSigner,
  form: number,
  grams: bigint,
  tag?: string,
  quality = 0,
): Promise<bigint> {
  const lotId = await mintLot(network.registry, network.coopPhone1, form, grams, tag, quality);
  if (holder.address !== network.coopPhone1.address)
    await handOver(network.registry, lotId, network.coopPhone1, holder);
  return lotId;
}
