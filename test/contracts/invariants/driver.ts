import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, zeroPadValue, toBeHex, type ContractTransactionResponse, type Interface } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { attestationLogs, request } from "../attestationFixtures";
import type { InvariantNetwork } from "./fixture";
import { digestOf, type GovernanceOnlyCall, type LotStatusName, type OutputSpec, type Tolerance } from "./model";

/**
 * The one module of the invariant suite that talks to the contracts. Everything else speaks in
 * actor names, lot ids and grams; when the contracts' interfaces change, only this file and the
 * network description in harness.ts change.
 */

/** The outcome of one transaction: mined, or refused with the decoded custom error. */
export type CallResult = { ok: true; uid?: string } | { ok: false; error: string };

/** A call a proposal makes, in chain terms (member ids, not names). */
export type ChainGovernedCall =
  | { kind: "setMemberActive"; memberId: bigint; active: boolean }
  | { kind: "setFormTolerance"; form: number; lossBps: number; gainBps: number };

/** A lot as the chain reports it. */
export interface ChainLot {
  custodian: string;
  grams: bigint;
  form: number;
  status: LotStatusName | "none";
  head: string;
  pendingReceiver: string;
}

const STATUS: Record<number, ChainLot["status"]> = { 0: "none", 1: "active", 2: "inTransit", 3: "consumed" };

export class ContractDriver {
  private readonly errorInterfaces: Interface[];

  constructor(
    readonly network: InvariantNetwork,
    private readonly signers: Record<string, HardhatEthersSigner>,
  ) {
    this.errorInterfaces = [network.registry.interface, network.catalogue.interface, network.attestations.interface, network.governance.interface];
  }

  // ------------------------------------------------------------------------------------- writes

  mint(actor: string, form: number, grams: bigint) {
    const delivery = {
      form,
      grams,
      quality: 0,
      metadata: digestOf.deliveryMetadata(actor, form, grams),
      origin: digestOf.deliveryOrigin(actor),
    };
    return this.send(() => this.network.registry.connect(this.signer(actor)).mint(delivery));
  }

  offer(actor: string, lotId: bigint, receiver: string) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).offer(lotId, this.address(receiver)));
  }

  accept(actor: string, lotId: bigint, grams: bigint) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).accept(lotId, grams, 0));
  }

  reject(actor: string, lotId: bigint, reason: number) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).reject(lotId, reason));
  }

  cancel(actor: string, lotId: bigint) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).cancel(lotId));
  }

  split(actor: string, lotId: bigint, parts: OutputSpec[]) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).split(lotId, outputsOf(parts)));
  }

  merge(actor: string, lotIds: bigint[]) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).merge(lotIds, digestOf.mergeMetadata()));
  }

  transform(actor: string, inputIds: bigint[], outputs: OutputSpec[]) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).transform(inputIds, outputsOf(outputs)));
  }

  async attest(actor: string, scheme: number, lotId: bigint, expiresAt: bigint): Promise<CallResult> {
    const attestation = {
      ...request("lot", lotId, expiresAt),
      evidence: digestOf.evidence(lotId, scheme),
      dataHash: digestOf.dataHash(lotId, scheme),
    };
    const attestations = this.network.attestations;
    return this.send(() => attestations.connect(this.signer(actor)).attest(scheme, attestation), (receipt) => ({
      uid: attestationLogs(receipt, attestations, "Attested")[0].args.uid as string,
    }));
  }

  revoke(actor: string, uid: string, reason: number) {
    return this.send(() => this.network.attestations.connect(this.signer(actor)).revoke(uid, reason));
  }

  markClaimed(actor: string, scheme: number, lotIds: bigint[]) {
    return this.send(() => this.network.attestations.connect(this.signer(actor)).markClaimed(scheme, lotIds));
  }

  setMemberActive(actor: string, memberId: bigint, active: boolean) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).setMemberActive(memberId, active));
  }

  setFormTolerance(actor: string, form: number, lossBps: number, gainBps: number) {
    return this.send(() => this.network.registry.connect(this.signer(actor)).setFormTolerance(form, lossBps, gainBps));
  }

  /** A governance-only call made directly, with arguments that would change something if it went through. */
  governanceOnly(actor: string, call: GovernanceOnlyCall) {
    const { registry, catalogue, attestations, members } = this.network;
    const signer = this.signer(actor);
    switch (call) {
      case "setYieldBounds":
        return this.send(() => catalogue.connect(signer).setYieldBounds(1, 2, 1, 10_000));
      case "setLotObserver":
        return this.send(() => registry.connect(signer).setLotObserver(signer.address));
      case "registerForm":
        return this.send(() => registry.connect(signer).registerForm(99, 1, 1_000, 1_000, true, "unregistered form"));
      case "accredit":
        return this.send(() => attestations.connect(signer).accredit(3, members.otherCertifier, 4_000_000_000n));
    }
  }

  // --------------------------------------------------------------------------------- governance

  /** Proposes `call` on the lot registry; `salt` tells apart proposals of the same call. */
  propose(actor: string, call: ChainGovernedCall, salt: bigint) {
    const { governance, registry } = this.network;
    return this.send(() => governance.connect(this.signer(actor)).propose(registry, this.encode(call), saltOf(salt)));
  }

  async proposalId(call: ChainGovernedCall, salt: bigint): Promise<string> {
    return this.network.governance.proposalId(this.network.registry, this.encode(call), saltOf(salt));
  }

  approve(actor: string, proposalId: string) {
    return this.send(() => this.network.governance.connect(this.signer(actor)).approve(proposalId));
  }

  execute(actor: string, call: ChainGovernedCall, salt: bigint) {
    const { governance, registry } = this.network;
    return this.send(() => governance.connect(this.signer(actor)).execute(registry, this.encode(call), saltOf(salt)));
  }

  private encode(call: ChainGovernedCall): string {
    const registry = this.network.registry.interface;
    return call.kind === "setMemberActive"
      ? registry.encodeFunctionData("setMemberActive", [call.memberId, call.active])
      : registry.encodeFunctionData("setFormTolerance", [call.form, call.lossBps, call.gainBps]);
  }

  // -------------------------------------------------------------------------------------- clock

  async latestTime(): Promise<bigint> {
    return BigInt(await time.latest());
  }

  /** The next transaction is mined at `timestamp`, so the model knows the time every rule sees. */
  async setNextBlockTime(timestamp: bigint): Promise<void> {
    await time.setNextBlockTimestamp(timestamp);
  }

  /** Mines an empty block at `timestamp`: views see that time from now on. */
  async travelTo(timestamp: bigint): Promise<void> {
    await time.increaseTo(timestamp);
  }

  // -------------------------------------------------------------------------------------- reads

  async lots(lotIds: readonly bigint[]): Promise<Map<bigint, ChainLot>> {
    const registry = this.network.registry;
    const rows = await Promise.all(
      lotIds.map(async (lotId) => {
        try {
          const { lot, head, pendingReceiver } = await registry.getLot(lotId);
          const chainLot: ChainLot = {
            custodian: lot.custodian,
            grams: lot.grams,
            form: Number(lot.form),
            status: STATUS[Number(lot.status)],
            head,
            pendingReceiver,
          };
          return [lotId, chainLot] as const;
        } catch {
          return [lotId, { custodian: "", grams: 0n, form: 0, status: "none", head: "", pendingReceiver: "" } satisfies ChainLot] as const;
        }
      }),
    );
    return new Map(rows);
  }

  /** carriesClaim for every lot and scheme: result[i][j] for lotIds[i], schemes[j]. */
  async claims(lotIds: readonly bigint[], schemes: readonly number[]): Promise<boolean[][]> {
    if (lotIds.length === 0) return [];
    const pairs = lotIds.flatMap((lotId) => schemes.map((scheme) => [lotId, scheme] as const));
    const carries = await this.network.attestations.carriesClaims(
      pairs.map(([lotId]) => lotId),
      pairs.map(([, scheme]) => scheme),
    );
    return lotIds.map((_, i) => schemes.map((__, j) => carries[i * schemes.length + j]));
  }

  async credits(memberId: bigint, scheme: number, forms: readonly number[]): Promise<bigint[]> {
    return [...(await this.network.attestations.creditsOf(memberId, scheme, [...forms]))];
  }

  async effectiveRoles(actor: string): Promise<number> {
    const [, , roles] = await this.network.registry.accountOf(this.address(actor));
    return Number(roles);
  }

  async tolerance(form: number): Promise<Tolerance> {
    const { lossBps, gainBps } = await this.network.registry.getForm(form);
    return { lossBps: Number(lossBps), gainBps: Number(gainBps) };
  }

  async form(form: number): Promise<Tolerance & { mintable: boolean; registered: boolean }> {
    const record = await this.network.registry.getForm(form);
    return { lossBps: Number(record.lossBps), gainBps: Number(record.gainBps), mintable: record.mintable, registered: record.registered };
  }

  address(actor: string): string {
    return this.signer(actor).address;
  }

  // ----------------------------------------------------------------------------------- internal

  private signer(actor: string): HardhatEthersSigner {
    const signer = this.signers[actor];
    if (!signer) throw new Error(`unknown actor ${actor}`);
    return signer;
  }

  /** Sends a transaction; a revert becomes `{ ok: false }` with the custom error's name and arguments. */
  private async send(
    submit: () => Promise<ContractTransactionResponse>,
    read?: (receipt: NonNullable<Awaited<ReturnType<ContractTransactionResponse["wait"]>>>) => { uid?: string },
  ): Promise<CallResult> {
    let response: ContractTransactionResponse;
    try {
      response = await submit();
    } catch (error) {
      return { ok: false, error: this.describeRevert(error) };
    }
    const receipt = await response.wait();
    if (!receipt) throw new Error("no receipt");
    return { ok: true, ...(read ? read(receipt) : {}) };
  }

  private describeRevert(error: unknown): string {
    const data = revertData(error);
    if (data) {
      for (const iface of this.errorInterfaces) {
        const parsed = iface.parseError(data);
        if (parsed) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
      }
    }
    if (error instanceof Error) return error.message.split("\n")[0];
    return String(error);
  }
}

function saltOf(salt: bigint): string {
  return salt === 0n ? ZeroHash : zeroPadValue(toBeHex(salt), 32);
}

function outputsOf(outputs: OutputSpec[]) {
  return outputs.map((output, index) => ({
    form: output.form,
    grams: output.grams,
    quality: 0,
    metadata: digestOf.outputMetadata(index, output.form, output.grams),
  }));
}

/** The revert data ethers attaches to a failed call, wherever this provider put it. */
function revertData(error: unknown): string | null {
  const candidate = error as { data?: unknown; info?: { error?: { data?: unknown } } } | null;
  const data = candidate?.data ?? candidate?.info?.error?.data;
  if (typeof data === "string" && data.startsWith("0x")) return data;
  if (data && typeof data === "object" && "data" in data && typeof (data as { data: unknown }).data === "string") {
    return (data as { data: string }).data;
  }
  return null;
}
