import { network as hardhatNetwork } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, zeroPadValue, toBeHex, type BaseContract, type Interface } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { request } from "../attestationFixtures";
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

/**
 * The gas every transaction is sent with. Hardhat would otherwise estimate each one first (running
 * it an extra time or more) and send one whose estimate fails with the block's whole gas limit; a
 * refused one is mined as a failed transaction either way and its revert data read from the error,
 * as a real node reports it. About five times the most any call of the suite uses (a split, under
 * 0.6 M): a limit the node handles no slower than an estimate, where a block-sized one costs more.
 */
export const GAS = toBeHex(3_000_000n);

/** A raw JSON-RPC receipt log. */
export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
}

/** A contract as a driver calls it: its address and ABI. */
export type Target = Pick<BaseContract, "interface" | "target">;

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
    return this.send(actor, this.network.registry, "mint", [delivery]);
  }

  offer(actor: string, lotId: bigint, receiver: string) {
    return this.send(actor, this.network.registry, "offer", [lotId, this.address(receiver)]);
  }

  accept(actor: string, lotId: bigint, grams: bigint) {
    return this.send(actor, this.network.registry, "accept", [lotId, grams, 0]);
  }

  reject(actor: string, lotId: bigint, reason: number) {
    return this.send(actor, this.network.registry, "reject", [lotId, reason]);
  }

  cancel(actor: string, lotId: bigint) {
    return this.send(actor, this.network.registry, "cancel", [lotId]);
  }

  split(actor: string, lotId: bigint, parts: OutputSpec[]) {
    return this.send(actor, this.network.registry, "split", [lotId, outputsOf(parts)]);
  }

  merge(actor: string, lotIds: bigint[]) {
    return this.send(actor, this.network.registry, "merge", [lotIds, digestOf.mergeMetadata()]);
  }

  transform(actor: string, inputIds: bigint[], outputs: OutputSpec[]) {
    return this.send(actor, this.network.registry, "transform", [inputIds, outputsOf(outputs)]);
  }

  async attest(actor: string, scheme: number, lotId: bigint, expiresAt: bigint): Promise<CallResult> {
    const attestation = {
      ...request("lot", lotId, expiresAt),
      evidence: digestOf.evidence(lotId, scheme),
      dataHash: digestOf.dataHash(lotId, scheme),
    };
    const attestations = this.network.attestations;
    return this.send(actor, attestations, "attest", [scheme, attestation], (logs) => ({
      uid: this.logsOf(logs, attestations, "Attested")[0].args.uid as string,
    }));
  }

  revoke(actor: string, uid: string, reason: number) {
    return this.send(actor, this.network.attestations, "revoke", [uid, reason]);
  }

  markClaimed(actor: string, scheme: number, lotIds: bigint[]) {
    return this.send(actor, this.network.attestations, "markClaimed", [scheme, lotIds]);
  }

  setMemberActive(actor: string, memberId: bigint, active: boolean) {
    return this.send(actor, this.network.registry, "setMemberActive", [memberId, active]);
  }

  setFormTolerance(actor: string, form: number, lossBps: number, gainBps: number) {
    return this.send(actor, this.network.registry, "setFormTolerance", [form, lossBps, gainBps]);
  }

  /** A governance-only call made directly, with arguments that would change something if it went through. */
  governanceOnly(actor: string, call: GovernanceOnlyCall) {
    const { registry, catalogue, attestations, members } = this.network;
    switch (call) {
      case "setYieldBounds":
        return this.send(actor, catalogue, "setYieldBounds", [1, 2, 1, 10_000]);
      case "setLotObserver":
        return this.send(actor, registry, "setLotObserver", [this.address(actor)]);
      case "registerForm":
        return this.send(actor, registry, "registerForm", [99, 1, 1_000, 1_000, true, "unregistered form"]);
      case "accredit":
        return this.send(actor, attestations, "accredit", [3, members.otherCertifier, 4_000_000_000n]);
    }
  }

  // --------------------------------------------------------------------------------- governance

  /** Proposes `call` on the lot registry; `salt` tells apart proposals of the same call. */
  propose(actor: string, call: ChainGovernedCall, salt: bigint) {
    const { governance, registry } = this.network;
    return this.send(actor, governance, "propose", [registry.target, this.encode(call), saltOf(salt)]);
  }

  async proposalId(call: ChainGovernedCall, salt: bigint): Promise<string> {
    return String(await this.view(this.network.governance, "proposalId", [this.network.registry.target, this.encode(call), saltOf(salt)]));
  }

  approve(actor: string, proposalId: string) {
    return this.send(actor, this.network.governance, "approve", [proposalId]);
  }

  execute(actor: string, call: ChainGovernedCall, salt: bigint) {
    const { governance, registry } = this.network;
    return this.send(actor, governance, "execute", [registry.target, this.encode(call), saltOf(salt)]);
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

  /**
   * Every lot as `getLot` returns it (one call per lot, as the chain offers no batch of it), or
   * "none" for a lot it refuses. The result is words of fixed size (the Lot struct, the head and the
   * pending receiver, nothing dynamic): read straight from the words, without ethers' ABI coder.
   */
  async lots(lotIds: readonly bigint[]): Promise<Map<bigint, ChainLot>> {
    const registry = this.network.registry;
    const rows = await Promise.all(
      lotIds.map(async (lotId) => {
        let result: string;
        try {
          result = await this.rawCall(registry, this.calldata(registry, "getLot", [lotId]));
        } catch {
          return [lotId, { custodian: "", grams: 0n, form: 0, status: "none", head: "", pendingReceiver: "" } satisfies ChainLot] as const;
        }
        return [lotId, lotFromWords(result)] as const;
      }),
    );
    return new Map(rows);
  }

  /** carriesClaim for every lot and scheme: result[i][j] for lotIds[i], schemes[j]. */
  async claims(lotIds: readonly bigint[], schemes: readonly number[]): Promise<boolean[][]> {
    if (lotIds.length === 0) return [];
    const pairs = lotIds.flatMap((lotId) => schemes.map((scheme) => [lotId, scheme] as const));
    const attestations = this.network.attestations;
    const data = this.calldata(attestations, "carriesClaims", [pairs.map(([lotId]) => lotId), pairs.map(([, scheme]) => scheme)]);
    const carries = wordsOfArray(await this.rawCall(attestations, data)).map((word) => BigInt(word) !== 0n);
    return lotIds.map((_, i) => schemes.map((__, j) => carries[i * schemes.length + j]));
  }

  async credits(memberId: bigint, scheme: number, forms: readonly number[]): Promise<bigint[]> {
    const attestations = this.network.attestations;
    const data = this.calldata(attestations, "creditsOf", [memberId, scheme, [...forms]]);
    return wordsOfArray(await this.rawCall(attestations, data)).map((word) => BigInt(word));
  }

  async effectiveRoles(actor: string): Promise<number> {
    const [, , roles] = (await this.views(this.network.registry, "accountOf", [this.address(actor)])) as [bigint, boolean, bigint];
    return Number(roles);
  }

  async tolerance(form: number): Promise<Tolerance> {
    const [{ lossBps, gainBps }] = (await this.views(this.network.registry, "getForm", [form])) as [{ lossBps: bigint; gainBps: bigint }];
    return { lossBps: Number(lossBps), gainBps: Number(gainBps) };
  }

  async form(form: number): Promise<Tolerance & { mintable: boolean; registered: boolean }> {
    const [record] = (await this.views(this.network.registry, "getForm", [form])) as [{ lossBps: bigint; gainBps: bigint; mintable: boolean; registered: boolean }];
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

  /**
   * Sends a transaction from `actor`'s account straight to the node (mined at once); a revert
   * becomes `{ ok: false }` with the custom error's name and arguments. `read` sees the receipt's
   * logs of a mined one.
   */
  private async send(
    actor: string,
    contract: Target,
    method: string,
    args: readonly unknown[],
    read?: (logs: RpcLog[]) => { uid?: string },
  ): Promise<CallResult> {
    const transaction = { from: this.address(actor), to: String(contract.target), data: contract.interface.encodeFunctionData(method, args), gas: GAS };
    let hash: string;
    try {
      hash = (await rpc("eth_sendTransaction", [transaction])) as string;
    } catch (error) {
      return { ok: false, error: this.describeRevert(error) };
    }
    // The node mined it in its own block, and throws on a failed one (above): the receipt is
    // fetched only for what `read` takes from its logs.
    if (!read) return { ok: true };
    const receipt = (await rpc("eth_getTransactionReceipt", [hash])) as { status: string; logs: RpcLog[] } | null;
    if (!receipt) throw new Error("no receipt");
    if (receipt.status !== "0x1") throw new Error(`transaction ${hash} failed without an error`);
    return { ok: true, ...read(receipt.logs) };
  }

  /** The logs of `eventName` that `contract` emitted, decoded. */
  private logsOf(logs: RpcLog[], contract: Target, eventName: string) {
    const address = String(contract.target).toLowerCase();
    return logs
      .filter((log) => log.address.toLowerCase() === address)
      .map((log) => contract.interface.parseLog(log))
      .filter((parsed) => parsed !== null && parsed.name === eventName)
      .map((parsed) => parsed!);
  }

  /** Calldata of a view (scalar arguments and arrays of them); the same calls repeat every step, so each is encoded once. */
  private calldata(contract: Target, method: string, args: readonly unknown[]): string {
    const key = `${String(contract.target)}/${method}/${args.map((arg) => (Array.isArray(arg) ? `[${arg.map(String).join(",")}]` : String(arg))).join("/")}`;
    let data = this.encoded.get(key);
    if (data === undefined) {
      data = contract.interface.encodeFunctionData(method, args);
      this.encoded.set(key, data);
    }
    return data;
  }
  private readonly encoded = new Map<string, string>();

  /** An `eth_call` on the latest block: the raw result. */
  private async rawCall(contract: Target, data: string): Promise<string> {
    return (await rpc("eth_call", [{ to: String(contract.target), data }, "latest"])) as string;
  }

  /** A view's results, decoded (all of them). */
  private async views(contract: Target, method: string, args: readonly unknown[]): Promise<unknown[]> {
    const data = this.calldata(contract, method, args);
    return Array.from(contract.interface.decodeFunctionResult(method, await this.rawCall(contract, data)));
  }

  /** A view's single result, decoded. */
  private async view(contract: Target, method: string, args: readonly unknown[]): Promise<unknown> {
    return (await this.views(contract, method, args))[0];
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

/** A JSON-RPC request to the in-process node, past ethers' contract, signer and provider layers. */
function rpc(method: string, params: unknown[]): Promise<unknown> {
  return hardhatNetwork.provider.request({ method, params });
}

/** The words of a view's single result of type `T[]` for a one-word `T` (offset, length, items), as hex. */
function wordsOfArray(result: string): string[] {
  const word = (index: number) => "0x" + result.slice(2 + index * 64, 2 + (index + 1) * 64);
  const start = Number(BigInt(word(0))) / 32;
  const length = Number(BigInt(word(start)));
  if (result.length !== 2 + (start + 1 + length) * 64) throw new Error(`a view returned ${result.length} hex characters, not an array of ${length} words`);
  return Array.from({ length }, (_, index) => word(start + 1 + index));
}

/** `getLot`'s result: (Lot(custodian, grams, form, status, quality), head, pendingReceiver), one word each. */
function lotFromWords(result: string): ChainLot {
  if (result.length !== 2 + 7 * 64) throw new Error(`getLot returned ${result.length} hex characters, not 7 words`);
  const word = (index: number) => result.slice(2 + index * 64, 2 + (index + 1) * 64);
  const address = (index: number) => "0x" + word(index).slice(24);
  return {
    custodian: address(0),
    grams: BigInt("0x" + word(1)),
    form: Number(BigInt("0x" + word(2))),
    status: STATUS[Number(BigInt("0x" + word(3)))],
    head: "0x" + word(5),
    pendingReceiver: address(6),
  };
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
