import { expect } from "chai";
import { mulberry32 } from "../helpers/seededRandom";
import { network as hardhatNetwork } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, type EventFragment, type ParamType, type Result } from "ethers";
import { GAS, type RpcLog, type Target } from "./invariants/driver";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ClaimLedger, ClaimRuleError, ClaimState, computeAttestationUid, type CreditEntry } from "../../src/attestations";
import { FORMS as FORM_CATALOGUE, formById } from "../../src/lots/forms";
import { Form, delivery, output } from "./fixtures";
import {
  Scheme,
  YEAR,
  attestationFixture,
  request,
  type AttestationNetwork,
} from "./attestationFixtures";

/**
 * Property: under any sequence of mints, attestations, revocations, handovers (weighed around both
 * the loss and the gain allowance), splits, merges, transforms, marks and waits, the contract's
 * mass-balance credits equal those of the pure model (src/attestations/claimLedger.ts) after every
 * operation, the model's never go negative, every handover, attestation and mark the model refuses
 * is refused by the contract with the same custom error and arguments, a handed-over lot weighs
 * what the model says, every revocation withdraws exactly the credit the model withdraws and leaves
 * `carriesClaim` agreeing for every lot, and at the end of each sequence every lot's recorded claim
 * (`getLotClaim`) and `carriesClaim` agree, for a mass-balance and a segregated scheme.
 */
const SEQUENCES = 200;
const OPERATIONS = 10;
const SEED = 0x5eed_2024;

const SCHEMES = [Scheme.fairtrade, Scheme.organic];
const FORMS = [Form.wetBeans, Form.dryBeans, Form.nibs];
/** Transform targets with a yield inside the registered bounds (basis points). */
const NEXT_FORM: Record<number, { form: number; bps: bigint }> = {
  [Form.wetBeans]: { form: Form.dryBeans, bps: 4_000n },
  [Form.dryBeans]: { form: Form.nibs, bps: 8_000n },
};

/** mulberry32: a small seeded generator, so a failure names a sequence that replays. */
function random(seed: number) {
  const next = mulberry32(seed);
  return {
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}

/**
 * The suite's calls go to the in-process node as JSON-RPC, past ethers' contract, signer and
 * provider layers (as the invariant suite's driver does): each transaction is sent with a fixed
 * gas limit instead of being estimated first (which runs it once more), and every view is one
 * `eth_call` whose result (words of fixed size, nothing dynamic but arrays of words) is read
 * straight from its words, without ethers' ABI coder. Most of the suite's CPU went to those layers.
 * The gas limit is the invariant driver's (`GAS`).
 */

function rpc(method: string, params: unknown[]): Promise<unknown> {
  return hardhatNetwork.provider.request({ method, params });
}

/**
 * Sends `method(args)` from `from` (mined at once, in its own block) and returns the receipt's
 * logs; a refused or failed transaction throws, as the ethers call did.
 */
async function transact(from: HardhatEthersSigner, contract: Target, method: string, args: readonly unknown[]): Promise<RpcLog[]> {
  const data = calldata(contract, method, args);
  const hash = (await rpc("eth_sendTransaction", [{ from: from.address, to: String(contract.target), data, gas: GAS }])) as string;
  const receipt = (await rpc("eth_getTransactionReceipt", [hash])) as { status: string; logs: RpcLog[] } | null;
  if (receipt?.status !== "0x1") throw new Error(`${method}: transaction ${hash} not mined successfully`);
  return receipt.logs;
}

/**
 * `method(args)` encoded as `Interface.encodeFunctionData` does, with the function's selector and
 * parameter types looked up once per method (ethers hashes the signature again on every call).
 */
function calldata(contract: Target, method: string, args: readonly unknown[]): string {
  const key = `${String(contract.target)}/${method}`;
  let fn = functions.get(key);
  if (!fn) {
    const fragment = contract.interface.getFunction(method);
    if (!fragment) throw new Error(`no function ${method}`);
    fn = { selector: fragment.selector, inputs: fragment.inputs };
    functions.set(key, fn);
  }
  return fn.selector + AbiCoder.defaultAbiCoder().encode(fn.inputs, args).slice(2);
}
const functions = new Map<string, { selector: string; inputs: readonly ParamType[] }>();

/**
 * A view's result as words (bigints): `eth_call` on the latest block. The same views repeat over
 * the same lots and members, so each call's data is encoded once.
 */
async function viewWords(contract: Target, method: string, args: readonly unknown[]): Promise<bigint[]> {
  const key = `${String(contract.target)}/${method}/${args.map((arg) => (Array.isArray(arg) ? `[${arg.map(String).join(",")}]` : String(arg))).join("/")}`;
  let data = encoded.get(key);
  if (data === undefined) {
    data = calldata(contract, method, args);
    encoded.set(key, data);
  }
  const result = (await rpc("eth_call", [{ to: String(contract.target), data }, "latest"])) as string;
  if ((result.length - 2) % 64 !== 0) throw new Error(`${method} returned ${result.length} hex characters, not whole words`);
  return Array.from({ length: (result.length - 2) / 64 }, (_, index) => BigInt("0x" + result.slice(2 + index * 64, 2 + (index + 1) * 64)));
}
const encoded = new Map<string, string>();

/** A view's single result of type `T[]` for a one-word `T` (offset, length, items). */
async function viewArray(contract: Target, method: string, args: readonly unknown[]): Promise<bigint[]> {
  const words = await viewWords(contract, method, args);
  const start = Number(words[0]) / 32;
  const length = Number(words[start]);
  if (words.length !== start + 1 + length) throw new Error(`${method} returned ${words.length} words, not an array of ${length}`);
  return words.slice(start + 1);
}

/** A view's result of exactly `count` words. */
async function viewFixed(contract: Target, method: string, args: readonly unknown[], count: number): Promise<bigint[]> {
  const words = await viewWords(contract, method, args);
  if (words.length !== count) throw new Error(`${method} returned ${words.length} words, not ${count}`);
  return words;
}

/** The logs of `eventName` that `contract` emitted, decoded (the event's topic computed once). */
function eventsOf(logs: readonly RpcLog[], contract: Target, eventName: string): { args: Result }[] {
  const address = String(contract.target).toLowerCase();
  const key = `${address}/${eventName}`;
  let event = events.get(key);
  if (!event) {
    const fragment = contract.interface.getEvent(eventName);
    if (!fragment) throw new Error(`no event ${eventName}`);
    event = { fragment, topic: fragment.topicHash };
    events.set(key, event);
  }
  const { fragment, topic } = event;
  return logs
    .filter((log) => log.address.toLowerCase() === address && log.topics[0] === topic)
    .map((log) => ({ args: contract.interface.decodeEventLog(fragment, log.data, log.topics) }));
}
const events = new Map<string, { fragment: EventFragment; topic: string }>();

interface Party {
  member: bigint;
  accounts: HardhatEthersSigner[];
}

class Sequence {
  readonly ledger = new ClaimLedger();
  readonly holders = new Map<bigint, HardhatEthersSigner>();
  readonly uids: string[] = [];
  readonly revokedUids = new Set<string>();
  readonly log: string[] = [];
  marksDone = 0;
  marksRefused = 0;
  handoversRefused = 0;
  withdrawals = 0;
  /** Timestamp of the last mined block (what views see). */
  now = 0n;
  private readonly parties: Party[];

  constructor(
    readonly network: AttestationNetwork,
    readonly rng: ReturnType<typeof random>,
  ) {
    const { members, coopPhone1, coopPhone2, processor, brand } = network;
    this.parties = [
      { member: members.cooperative, accounts: [coopPhone1, coopPhone2] },
      { member: members.processor, accounts: [processor] },
      { member: members.brand, accounts: [brand] },
    ];
    for (const form of FORM_CATALOGUE) this.ledger.registerForm(form.id, form);
    this.ledger.registerScheme(Number(Scheme.fairtrade), "massBalance");
    this.ledger.registerScheme(Number(Scheme.organic), "segregated");
  }

  /** Every sequence starts from a cooperative's day of three deliveries (one batch), two of them attested. */
  async start() {
    this.now = BigInt(await time.latest());
    const account = this.parties[0].accounts[0];
    const deliveries = [5_000n, 8_000n, 12_000n].map((grams) => delivery(Form.wetBeans, grams + BigInt(this.rng.int(0, 999))));
    const logs = await this.mined(account, this.network.registry, "mintBatch", [deliveries]);
    const first: bigint = eventsOf(logs, this.network.registry, "LotsMinted")[0].args.firstLotId;
    deliveries.forEach((item, index) => {
      this.ledger.lotMinted(first + BigInt(index), this.parties[0].member, Number(item.form), BigInt(item.grams));
      this.holders.set(first + BigInt(index), account);
    });
    // The audit of the day: the certifier attests the first two deliveries premium-eligible in one batch.
    const audited = [first, first + 1n];
    const requests = audited.map((lotId) => request("lot", lotId, 0n, `audit ${lotId}`));
    const attested = await this.mined(this.network.certifier, this.network.attestations, "attestBatch", [Scheme.fairtrade, requests]);
    eventsOf(attested, this.network.attestations, "Attested").forEach((log, index) => {
      const attestation = { scheme: Number(Scheme.fairtrade), lotId: audited[index], expiresAt: this.now + YEAR };
      this.ledger.attested(log.args.uid, attestation, this.now);
      this.uids.push(log.args.uid);
    });
  }

  /** Mines `method(args)` from `from` at `now + 1` and returns the receipt's logs. */
  private async mined(from: HardhatEthersSigner, contract: Target, method: string, args: readonly unknown[]) {
    await time.setNextBlockTimestamp(this.now + 1n);
    const logs = await transact(from, contract, method, args);
    this.now += 1n;
    return logs;
  }

  private memberOf(account: HardhatEthersSigner): bigint {
    return this.parties.find((party) => party.accounts.includes(account))!.member;
  }

  private lots(filter: (id: bigint) => boolean): bigint[] {
    return [...this.holders.keys()].filter(filter);
  }

  private active(id: bigint) {
    return this.ledger.getLot(id)?.status === "active";
  }

  async step() {
    const roll = this.rng.int(1, 100);
    if (roll <= 4) return this.mint();
    if (roll <= 29) return this.attest();
    if (roll <= 37) return this.revoke();
    if (roll <= 52) return this.handover();
    if (roll <= 60) return this.split();
    if (roll <= 67) return this.merge();
    if (roll <= 75) return this.transform();
    if (roll <= 95) return this.mark();
    return this.wait();
  }

  private async mint() {
    const account = this.rng.pick(this.parties[0].accounts);
    const form = this.rng.chance(0.8) ? Form.wetBeans : Form.dryBeans;
    const grams = BigInt(this.rng.int(1_000, 20_000));
    const logs = await this.mined(account, this.network.registry, "mintBatch", [[delivery(form, grams)]]);
    const lotId: bigint = eventsOf(logs, this.network.registry, "LotsMinted")[0].args.firstLotId;
    this.ledger.lotMinted(lotId, this.parties[0].member, form, grams);
    this.holders.set(lotId, account);
    this.log.push(`mint ${lotId} ${grams}g form ${form}`);
  }

  private async attest() {
    const candidates = this.lots((id) => this.ledger.getLot(id)?.status !== "consumed");
    if (candidates.length === 0) return this.mint();
    const lotId = this.rng.pick(candidates);
    const scheme = this.rng.chance(0.6) ? Scheme.fairtrade : Scheme.organic;
    const expiresAt = this.rng.chance(0.6) ? 0n : this.now + BigInt(this.rng.int(2, 25));
    const { attestations, certifier } = this.network;
    const req = request("lot", lotId, expiresAt, `${lotId}/${this.now}`);
    this.log.push(`attest ${lotId} scheme ${scheme} expires ${expiresAt}`);
    const at = this.now + 1n;
    const modelExpiry = expiresAt === 0n ? at + YEAR : expiresAt;
    const uid = computeAttestationUid({
      scheme: Number(scheme),
      subjectKind: "lot",
      subject: String(req.subject),
      attester: this.network.certifier.address,
      time: at,
      expiresAt: modelExpiry,
      evidence: String(req.evidence),
      dataHash: String(req.dataHash),
    });
    try {
      // The model refuses before it changes anything.
      this.ledger.attested(uid, { scheme: Number(scheme), lotId, expiresAt: modelExpiry }, at);
    } catch (error) {
      await time.setNextBlockTimestamp(at);
      await expectRefusal(certifier, attestations, "attest", [scheme, req], this.network, error);
      return;
    }
    const logs = await this.mined(certifier, attestations, "attest", [scheme, req]);
    expectSame([eventsOf(logs, attestations, "Attested")[0].args.uid], [uid]);
    this.uids.push(uid);
  }

  /** Revokes a valid attestation (now and then one that expired already): withdrawals and claims against the model. */
  private async revoke() {
    const unrevoked = this.uids.filter((uid) => !this.revokedUids.has(uid));
    const live = unrevoked.filter((uid) => this.ledger.isValid(uid, this.now + 1n));
    const pool = live.length > 0 && this.rng.chance(0.9) ? live : unrevoked;
    if (pool.length === 0) return this.attest();
    const uid = this.rng.pick(pool);
    this.log.push(`revoke ${uid.slice(0, 10)}`);
    const { attestations } = this.network;
    const logs = await this.mined(this.network.certifier, attestations, "revoke", [uid, 1]);
    this.revokedUids.add(uid);
    const modelled = this.ledger.revoked(uid, this.now);
    this.withdrawals += modelled.length;
    const withdrawn = eventsOf(logs, attestations, "MassBalanceWithdrawn").map((log) =>
      [log.args.member, log.args.scheme, log.args.lotId, log.args.form, log.args.grams, log.args.balance, log.args.uid].map(String),
    );
    expectSame(withdrawn, modelled.map(withdrawalFields), () => `withdrawals\n${this.log.join("\n")}`);
    await this.compareClaims();
  }

  private async handover() {
    const candidates = this.lots((id) => this.active(id));
    if (candidates.length === 0) return this.mint();
    const lotId = this.rng.pick(candidates);
    const from = this.holders.get(lotId)!;
    const receiverParty = this.rng.pick(this.parties.filter((party) => party.member !== this.memberOf(from)));
    const to = this.rng.pick(receiverParty.accounts);
    const lot = this.ledger.getLot(lotId)!;
    const gramsReceived = this.weighed(lot.grams, lot.form);
    const { registry } = this.network;
    await this.mined(from, registry, "offer", [lotId, to.address]);
    this.ledger.handoverOffered(lotId);
    this.log.push(`handover ${lotId} (${lot.grams}g) to member ${receiverParty.member} at ${gramsReceived}g`);
    try {
      // The model refuses a weight outside the form's allowances before it changes anything.
      this.ledger.handoverAccepted(lotId, receiverParty.member, gramsReceived, this.now + 1n);
    } catch (error) {
      this.handoversRefused++;
      await time.setNextBlockTimestamp(this.now + 1n);
      await expectRefusal(to, registry, "accept", [lotId, gramsReceived, 0], this.network, error);
      await this.mined(from, registry, "cancel", [lotId]);
      this.ledger.handoverSettled(lotId);
      this.log.push(`  refused, cancelled`);
      return;
    }
    await this.mined(to, registry, "accept", [lotId, gramsReceived, 0]);
    this.holders.set(lotId, to);
    // getLot: (Lot(custodian, grams, form, status, quality), head, pendingReceiver), a word each.
    const [, grams] = await viewFixed(registry, "getLot", [lotId], 7);
    expectSame([grams], [this.ledger.getLot(lotId)!.grams], () => `weight of ${lotId}\n${this.log.join("\n")}`);
  }

  /**
   * A receiver's scale reading of `sent` grams: the sent weight, either edge of the form's loss and
   * gain allowances or a gram beyond, or anything in between.
   */
  private weighed(sent: bigint, form: number): bigint {
    const { lossBps, gainBps } = formById(form)!;
    const maxLoss = (sent * BigInt(lossBps)) / 10_000n;
    const maxGain = (sent * BigInt(gainBps)) / 10_000n;
    const within = (limit: bigint) => BigInt(this.rng.int(0, Number(limit)));
    return this.rng.pick([
      sent,
      sent - maxLoss,
      sent - maxLoss - 1n,
      sent + maxGain,
      sent + maxGain + 1n,
      sent - within(maxLoss),
      sent + within(maxGain),
    ]);
  }

  private async split() {
    const candidates = this.lots((id) => this.active(id) && this.ledger.getLot(id)!.grams >= 200n);
    if (candidates.length === 0) return this.mint();
    const lotId = this.rng.pick(candidates);
    const holder = this.holders.get(lotId)!;
    const lot = this.ledger.getLot(lotId)!;
    const first = (lot.grams * BigInt(this.rng.int(20, 80))) / 100n;
    const parts = [first, lot.grams - first].map((grams) => ({ form: lot.form, grams }));
    await this.derive(holder, [lotId], parts, "split", [lotId, parts.map((part) => output(part.form, part.grams))]);
    this.log.push(`split ${lotId} into ${parts.map((part) => part.grams).join("+")}`);
  }

  private async merge() {
    const anchor = this.rng.pick(this.lots((id) => this.active(id)).concat([0n]));
    if (anchor === 0n) return this.mint();
    const { member, form } = this.ledger.getLot(anchor)!;
    const partners = this.lots(
      (id) => id !== anchor && this.active(id) && this.ledger.getLot(id)!.member === member && this.ledger.getLot(id)!.form === form,
    );
    if (partners.length === 0) return this.split();
    const inputIds = [anchor, this.rng.pick(partners)];
    const caller = this.holders.get(this.rng.pick(inputIds))!;
    const grams = inputIds.reduce((sum, id) => sum + this.ledger.getLot(id)!.grams, 0n);
    await this.derive(caller, inputIds, [{ form, grams }], "merge", [inputIds, output(form, grams).metadata]);
    this.log.push(`merge ${inputIds.join("+")}`);
  }

  private async transform() {
    const candidates = this.lots((id) => this.active(id) && NEXT_FORM[this.ledger.getLot(id)!.form] !== undefined);
    if (candidates.length === 0) return this.mint();
    const anchor = this.rng.pick(candidates);
    const { member, form } = this.ledger.getLot(anchor)!;
    const partners = this.lots(
      (id) => id !== anchor && this.active(id) && this.ledger.getLot(id)!.member === member && this.ledger.getLot(id)!.form === form,
    );
    const inputIds = partners.length > 0 && this.rng.chance(0.5) ? [anchor, this.rng.pick(partners)] : [anchor];
    const caller = this.holders.get(anchor)!;
    const total = inputIds.reduce((sum, id) => sum + this.ledger.getLot(id)!.grams, 0n);
    const target = NEXT_FORM[form];
    const outputs = [{ form: target.form, grams: (total * target.bps) / 10_000n }];
    await this.derive(caller, inputIds, outputs, "transform", [inputIds, outputs.map((o) => output(o.form, o.grams))]);
    this.log.push(`transform ${inputIds.join("+")} -> ${outputs[0].grams}g form ${target.form}`);
  }

  private async derive(
    caller: HardhatEthersSigner,
    inputIds: bigint[],
    outputs: { form: number; grams: bigint }[],
    method: "split" | "merge" | "transform",
    args: readonly unknown[],
  ) {
    const { registry } = this.network;
    const [firstOutputId] = await viewFixed(registry, "nextLotId", [caller.address], 1);
    await this.mined(caller, registry, method, args);
    this.ledger.lotsDerived(this.memberOf(caller), inputIds, firstOutputId, outputs, this.now);
    outputs.forEach((_, index) => this.holders.set(firstOutputId + BigInt(index), caller));
  }

  private async mark() {
    // Mostly a party's own active lots its credit covers, else its own lots, sometimes anyone's
    // lot by anyone, so that marks both go through and are refused for every reason.
    const ownLots = (party: Party) => this.lots((id) => this.active(id) && this.ledger.getLot(id)!.member === party.member);
    const coveredLots = (party: Party) =>
      ownLots(party).filter((id) => {
        const lot = this.ledger.getLot(id)!;
        return lot.grams <= this.ledger.creditOf(party.member, Number(Scheme.fairtrade), lot.form);
      });
    const withCover = this.parties.filter((party) => coveredLots(party).length > 0);
    const withLots = this.parties.filter((party) => ownLots(party).length > 0);
    const roll = this.rng.int(1, 100);
    const party =
      withCover.length > 0 && roll <= 60 ? this.rng.pick(withCover) : withLots.length > 0 && roll <= 90 ? this.rng.pick(withLots) : this.rng.pick(this.parties);
    const caller = this.rng.pick(party.accounts);
    const pool =
      withCover.includes(party) && roll <= 60 ? coveredLots(party) : ownLots(party).length > 0 && roll <= 90 ? ownLots(party) : [...this.holders.keys()];
    const lotIds = Array.from({ length: this.rng.chance(0.8) ? 1 : 2 }, () => this.rng.pick(pool));
    const { attestations } = this.network;
    this.log.push(`mark ${lotIds.join(",")} by member ${party.member}`);
    try {
      // The model checks every lot before it debits anything, at the time the call will run.
      this.ledger.markClaimed(caller.address, party.member, Number(Scheme.fairtrade), lotIds, this.now + 1n, (id) =>
        this.holders.get(id)!.address,
      );
    } catch (error) {
      this.marksRefused++;
      await time.setNextBlockTimestamp(this.now + 1n);
      await expectRefusal(caller, attestations, "markClaimed", [Scheme.fairtrade, lotIds], this.network, error);
      return;
    }
    this.marksDone++;
    await this.mined(caller, attestations, "markClaimed", [Scheme.fairtrade, lotIds]);
  }

  private async wait() {
    this.now += BigInt(this.rng.int(1, 20));
    await time.increaseTo(this.now);
    this.log.push(`wait until ${this.now}`);
  }

  /** Every credit of every party in every form, against the model (and the model never negative). */
  async compareCredits() {
    const { attestations } = this.network;
    const credits = await Promise.all(
      this.parties.map((party) => viewArray(attestations, "creditsOf", [party.member, Scheme.fairtrade, FORMS])),
    );
    this.parties.forEach((party, index) => {
      const modelled = FORMS.map((form) => this.ledger.creditOf(party.member, Number(Scheme.fairtrade), form));
      for (const grams of modelled) expectSame([grams >= 0n], [true], () => "model credit negative");
      expectSame([...credits[index]], modelled, () => `credits of member ${party.member}\n${this.log.join("\n")}`);
    });
  }

  /** Every lot's `carriesClaim` of both schemes, against the model. */
  async compareClaims() {
    const lotIds = [...this.holders.keys()].flatMap((id) => SCHEMES.map(() => id));
    const schemes = [...this.holders.keys()].flatMap(() => SCHEMES);
    const carries = (await viewArray(this.network.attestations, "carriesClaims", [lotIds, schemes])).map((word) => word !== 0n);
    const modelled = lotIds.map((id, index) => this.ledger.carriesClaim(id, Number(schemes[index]), this.now));
    expectSame([...carries], modelled, () => `carriesClaim\n${this.log.join("\n")}`);
  }

  /** Every lot's recorded claim of both schemes (`getLotClaim`), field by field, against the model. */
  async compareLotClaims() {
    const { attestations } = this.network;
    for (const lotId of this.holders.keys()) {
      for (const scheme of SCHEMES) {
        // LotClaim(state, validUntil, family, derivation, epoch), a word each.
        const claim = await viewFixed(attestations, "getLotClaim", [lotId, scheme], 5);
        const modelled = this.ledger.claim(lotId, Number(scheme));
        expectSame(
          claim.map(String),
          [ClaimState[modelled.state], modelled.validUntil, modelled.family, modelled.derivation, modelled.epoch].map(String),
          () => `getLotClaim(${lotId}, ${scheme})\n${this.log.join("\n")}`,
        );
      }
    }
  }

  /** Lots whose carried segregated claim has not expired yet no longer holds: stopped by a revocation. */
  carriedClaimsStopped(): number {
    const organic = Number(Scheme.organic);
    return [...this.holders.keys()].filter((id) => {
      const claim = this.ledger.claim(id, organic);
      return claim.state === "carried" && this.now < claim.validUntil && !this.ledger.carriesClaim(id, organic, this.now);
    }).length;
  }
}

/**
 * `expect(actual, message()).to.deep.equal(expected)`. hardhat-chai-matchers compares every element
 * through its big-number check, which tries to load three big-number libraries per value (a fifth
 * of this suite's CPU): arrays whose elements are already identical (===) pass that assertion
 * without it, and anything else goes to it, to pass or fail and report as before. The message (the
 * sequence's log) is only built then.
 */
function expectSame(actual: readonly unknown[], expected: readonly unknown[], message?: () => string) {
  if (actual.length === expected.length && actual.every((value, index) => value === expected[index])) return;
  expect(actual, message?.()).to.deep.equal(expected);
}

function withdrawalFields(entry: CreditEntry): string[] {
  if (entry.kind !== "withdrawal") throw new Error(`not a withdrawal: ${entry.kind}`);
  return [entry.member, entry.scheme, entry.lotId, entry.form, entry.grams, entry.balance, entry.uid].map(String);
}

/**
 * Asserts `method(args)` from `from` is refused with the model's error and arguments. The call runs
 * as an `eth_call` on the pending block (whose timestamp the caller set), which refuses exactly as
 * the transaction would, at a fraction of the cost of sending it.
 */
async function expectRefusal(
  from: HardhatEthersSigner,
  contract: Target,
  method: string,
  args: readonly unknown[],
  network: AttestationNetwork,
  error: unknown,
) {
  if (!(error instanceof ClaimRuleError)) throw error;
  let data: string | undefined;
  try {
    await rpc("eth_call", [{ from: from.address, to: String(contract.target), data: contract.interface.encodeFunctionData(method, args) }, "pending"]);
  } catch (reverted) {
    data = revertData(reverted);
  }
  expect(data, `expected ${error.shortMessage}`).to.be.a("string");
  const parsed = network.attestations.interface.parseError(data!) ?? network.registry.interface.parseError(data!);
  expectSame([parsed?.name], [error.errorName]);
  expectSame(parsed!.args.map(String), error.args.map(String));
}

/** The revert data of a refused `eth_call`, wherever the provider put it. */
function revertData(error: unknown): string | undefined {
  const data = (error as { data?: unknown } | null)?.data;
  if (typeof data === "string") return data;
  if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") return (data as { data: string }).data;
  return undefined;
}

describe("AttestationRegistry: mass balance against the model (property)", function () {
  it(`agrees with the model on every balance and claim over ${SEQUENCES} random sequences of ${OPERATIONS} operations`, async function () {
    // Every sequence replays against the chain; on a busy 2-core machine the run takes minutes.
    this.timeout(600_000);
    let marksDone = 0;
    let marksRefused = 0;
    let credits = 0;
    let handoversRefused = 0;
    let withdrawals = 0;
    let carriedClaimsStopped = 0;
    for (let index = 0; index < SEQUENCES; index++) {
      const network = await loadFixture(attestationFixture);
      const sequence = new Sequence(network, random(SEED + index));
      await sequence.start();
      for (let op = 0; op < OPERATIONS; op++) {
        const before = sequence.log.length;
        await sequence.step();
        // Mints, attestations, revocations and waits write no credit: their effect shows in the
        // next comparison (and the last one, below), which covers every balance again.
        const last = sequence.log[sequence.log.length - 1] ?? "";
        if (sequence.log.length === before || /^(\s|handover|split|merge|transform|mark|revoke)/.test(last)) {
          await sequence.compareCredits();
        }
      }
      await sequence.compareCredits();
      await sequence.compareClaims();
      await sequence.compareLotClaims();
      marksDone += sequence.marksDone;
      marksRefused += sequence.marksRefused;
      credits += sequence.ledger.entries.filter((entry) => entry.kind === "credit").length;
      handoversRefused += sequence.handoversRefused;
      withdrawals += sequence.withdrawals;
      carriedClaimsStopped += sequence.carriedClaimsStopped();
    }
    console.log(
      `      ${marksDone} marks done, ${marksRefused} refused; ${credits} credits; ${handoversRefused} handovers refused; ` +
        `${withdrawals} withdrawals; ${carriedClaimsStopped} carried claims stopped by a revocation`,
    );
    // The sequences exercise the rules rather than idle: marks went through and were refused, credit moved.
    expect(marksDone, "marks done").to.be.greaterThan(SEQUENCES / 10);
    expect(marksRefused, "marks refused").to.be.greaterThan(SEQUENCES / 10);
    expect(credits, "credits").to.be.greaterThan(SEQUENCES / 2);
    expect(handoversRefused, "handovers refused").to.be.greaterThan(SEQUENCES / 10);
    expect(withdrawals, "withdrawals").to.be.greaterThan(0);
    expect(carriedClaimsStopped, "carried claims stopped").to.be.greaterThan(0);
  });
});
