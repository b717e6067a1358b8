import { ZeroHash, getAddress, hexlify, isAddress, isError, toUtf8Bytes, type ErrorCode, type Signer, type TransactionReceipt, type TransactionResponse } from "ethers";
import type { Database } from "../db/database";
import { issueApiToken, revokeApiTokens } from "../api/apiTokens";
import type { Keystore } from "../chain/keystore/keystore";
import { BaseError, NonRetryableError } from "../errors/base";
import { Role, bitsToRoles, rolesToBits, type RoleName } from "../membership/roles";
import { decodeRevert, revertDataOf } from "../relay/contractErrors";
import { recordRelayerAccount } from "../relay/relayerAccount";
import { lotRegistryAt, type LotRegistry } from "../chain/contracts";

/**
 * What `firstmile members add|list|suspend|token` does, for the CLI and for the running gateway's
 * control socket alike: members are created and suspended on chain by a governor, their custodial
 * keys live in the keystore, their API tokens in SQL.
 */
export type MemberAdmin = {
  db: Database;
  keystore: Keystore;
  /** The lot registry (which is the membership registry). */
  registry: string;
  /** A governor account able to send transactions (embedded: anvil's first development account). */
  governor: Signer | null;
  /** The chain: a member created with the relayer role and a custodial key becomes its relayer. */
  chainId?: bigint | undefined;
};

export type AddMemberParameters = {
  roles: readonly RoleName[];
  /** ISO 3166-1 alpha-2, e.g. "ID". */
  country: string;
  /** sha2-256 digest of the member's metadata document CID (default zero). */
  metadata?: string | undefined;
  /** Accounts whose keys the member holds itself (self-custody): no key is generated for them. */
  accounts?: readonly string[] | undefined;
  /** Custodial accounts to generate in the keystore (default 1 when no `accounts` are given, else 0). */
  custodialAccounts?: number | undefined;
  /** Issue an API token (default true). */
  token?: boolean | undefined;
  /** Label stored with the token. */
  label?: string | undefined;
};

export type AddedMember = {
  memberId: bigint;
  accounts: Array<{ address: string; custodial: boolean }>;
  /** Shown once; only its hash is stored. */
  token: string | null;
  txHash: string;
};

/** A governance step could not be done (no governor, bad input, the chain refused). */
export class MemberAdminError extends NonRetryableError {
  override name = "MemberAdminError";
}

/**
 * The addMember transaction may have been sent, and the chain did not tell whether it registered
 * the accounts (the node stopped answering, the receipt could not be read). The custodial keys are
 * kept: the accounts may be members on chain whose only keys these are. Not retryable: adding
 * again could register a second member.
 */
export class MemberAdminOutcomeUnknownError extends MemberAdminError {
  override name = "MemberAdminOutcomeUnknownError";
  /** The transaction, when the signer returned its hash. */
  readonly txHash: string | null;
  /** The member the registry shows the accounts under, when it could be read. */
  readonly memberId: bigint | null;
  /** Custodial accounts whose keys were kept in the keystore. */
  readonly keptAccounts: readonly string[];

  constructor({ txHash, memberId, keptAccounts, cause }: { txHash: string | null; memberId: bigint | null; keptAccounts: readonly string[]; cause: unknown }) {
    const transaction = txHash ? `addMember transaction ${txHash}` : "The addMember transaction";
    const kept = keptAccounts.length > 0 ? `; the custodial keys of ${keptAccounts.join(", ")} are kept` : "";
    super(
      memberId !== null
        ? `${transaction} registered the accounts as member ${memberId}, but its receipt could not be read${kept}`
        : `${transaction} may have been sent; whether it added the member is unknown${kept}`,
      {
        cause,
        details: errorDetails(cause),
        metaMessages: [
          memberId !== null
            ? `Issue the member's API token with \`firstmile members token ${memberId}\`; do not add it again.`
            : "`firstmile members list` shows whether the accounts were registered; add the member again only if they were not.",
        ],
      },
    );
    this.txHash = txHash;
    this.memberId = memberId;
    this.keptAccounts = keptAccounts;
  }
}

export async function addMember(admin: MemberAdmin, parameters: AddMemberParameters): Promise<AddedMember> {
  const registry = governed(admin);
  const roles = rolesToBits(parameters.roles);
  if (roles === 0) throw new MemberAdminError("A member needs at least one role", { metaMessages: [`Roles: ${Object.keys(Role).join(", ")}`] });
  const country = countryBytes(parameters.country);
  const own = (parameters.accounts ?? []).map((account) => {
    if (!isAddress(account)) throw new MemberAdminError(`Not an account address: ${account}`);
    return getAddress(account);
  });
  const custodialCount = parameters.custodialAccounts ?? (own.length === 0 ? 1 : 0);
  if (own.length + custodialCount === 0) throw new MemberAdminError("A member needs at least one account");

  // The keystore files keys under the member id, which the chain assigns: predict it, then check.
  const predicted = (await registry.memberCount()) + 1n;
  const custodial: string[] = [];
  for (let i = 0; i < custodialCount; i++) custodial.push(await admin.keystore.createAccount(predicted));
  const accounts = [...custodial, ...own];
  let outcome = await sendAddMember(registry, [roles, country, parameters.metadata ?? ZeroHash, accounts]);
  if (outcome.kind === "unknown") outcome = await settleOutcome(registry, accounts[0]!, outcome);
  if (outcome.kind === "refused") {
    // Only now is it certain that no transaction of ours registered the accounts: their keys can go.
    if (custodial.length > 0) await admin.db.query("delete from custodial_keys where address = any($1::text[])", [custodial.map((a) => a.toLowerCase())]);
    throw outcome.error instanceof BaseError
      ? outcome.error
      : new MemberAdminError("The chain refused to add the member", { cause: outcome.error, details: errorDetails(outcome.error) });
  }
  if (outcome.kind === "unknown") {
    if (outcome.memberId !== null && outcome.memberId !== predicted) await refileKeys(admin.db, custodial, outcome.memberId);
    throw new MemberAdminOutcomeUnknownError({ txHash: outcome.txHash, memberId: outcome.memberId, keptAccounts: custodial, cause: outcome.error });
  }
  const { memberId, txHash } = outcome;
  if (memberId !== predicted) await refileKeys(admin.db, custodial, memberId);
  if (roles & Role.relayer && custodial.length > 0 && admin.chainId !== undefined) {
    await recordRelayerAccount(admin.db, { chainId: admin.chainId, address: custodial[0]!, memberId });
  }
  const token = parameters.token === false ? null : (await issueApiToken(admin.db, memberId, parameters.label ?? "")).token;
  return {
    memberId,
    accounts: [...custodial.map((address) => ({ address, custodial: true })), ...own.map((address) => ({ address, custodial: false }))],
    token,
    txHash,
  };
}

export type MemberSummary = {
  memberId: bigint;
  roles: RoleName[];
  country: string;
  active: boolean;
  /**
   * `active`: whether the account may act now (it and its member are active); `suspended` says
   * which of the two is not ("member" when the whole member is, whatever the account's own flag).
   */
  accounts: Array<{ address: string; custodial: boolean; active: boolean; suspended: "member" | "account" | null }>;
  activeTokens: number;
};

/** Every member on chain, with which accounts have keys in this gateway's keystore and how many tokens are live. */
export async function listMembers(admin: Omit<MemberAdmin, "governor"> & { governor?: Signer | null; provider: Signer["provider"] }): Promise<MemberSummary[]> {
  const registry = lotRegistryAt(admin.registry, admin.provider);
  const count = await registry.memberCount();
  const { rows: keys } = await admin.db.query<{ address: string }>("select address from custodial_keys");
  const custodial = new Set(keys.map((row) => row.address));
  const { rows: tokens } = await admin.db.query<{ member_id: bigint; n: number }>(
    "select member_id, count(*)::int as n from members_auth where revoked_at is null group by member_id",
  );
  const tokenCount = new Map(tokens.map((row) => [row.member_id, row.n]));
  const members: MemberSummary[] = [];
  for (let id = 1n; id <= count; id++) {
    const [member, accounts] = await registry.getMember(id);
    const states = await Promise.all(accounts.map((account) => registry.accountOf(account)));
    members.push({
      memberId: id,
      roles: bitsToRoles(Number(member.roles)),
      country: Buffer.from(member.country.slice(2), "hex").toString("latin1"),
      active: member.active,
      accounts: accounts.map((address, index) => {
        const suspended = !member.active ? "member" : !states[index]![1] ? "account" : null;
        return { address, custodial: custodial.has(address.toLowerCase()), active: suspended === null, suspended };
      }),
      activeTokens: tokenCount.get(id) ?? 0,
    });
  }
  return members;
}

/** Suspends a member on chain (none of its accounts may act) and revokes its API tokens. */
export async function suspendMember(admin: MemberAdmin, memberId: bigint): Promise<{ revokedTokens: number; txHash: string }> {
  const registry = governed(admin);
  let txHash: string;
  try {
    const tx = await oneAtATime(registry, () => registry.setMemberActive(memberId, false));
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new MemberAdminError(`setMemberActive transaction ${tx.hash} failed`);
    txHash = tx.hash;
  } catch (error) {
    throw error instanceof BaseError ? error : new MemberAdminError(`The chain refused to suspend member ${memberId}`, { cause: error, details: (error as Error).message });
  }
  return { revokedTokens: await revokeApiTokens(admin.db, memberId), txHash };
}

/** A new API token for an existing member (shown once). */
export async function issueMemberToken(admin: Pick<MemberAdmin, "db" | "registry"> & { provider: Signer["provider"] }, memberId: bigint, label = ""): Promise<string> {
  const registry = lotRegistryAt(admin.registry, admin.provider);
  if (memberId < 1n || memberId > (await registry.memberCount())) throw new MemberAdminError(`No member ${memberId} on chain`);
  return (await issueApiToken(admin.db, memberId, label)).token;
}

function governed(admin: MemberAdmin): LotRegistry {
  if (!admin.governor) {
    throw new MemberAdminError("No governor account to sign with", {
      metaMessages: [
        "On the embedded chain the governor is anvil's first development account; on a network whose governors hold their own keys,",
        "set FIRSTMILE_GOVERNOR_KEY=env:NAME|file:/path|rpc:<url> to a governor's key (docs/production.md).",
      ],
    });
  }
  return lotRegistryAt(admin.registry, admin.governor);
}

const sending = new WeakMap<object, Promise<unknown>>();

/**
 * The governor's transactions leave one at a time: its signer takes each nonce from the node's
 * pending count, so two sent side by side (the demo adds its members so) would take the same one
 * and the node would refuse the second as a replacement. Only the sending waits; receipts overlap.
 */
function oneAtATime<T>(registry: LotRegistry, send: () => Promise<T>): Promise<T> {
  const signer = registry.runner ?? registry;
  const result = (sending.get(signer) ?? Promise.resolve()).then(() => sendPastTakenNonce(send));
  sending.set(signer, result.catch(() => undefined));
  return result;
}

/** ethers' codes for a transaction the node refused because another one took its nonce. */
const NONCE_TAKEN: readonly ErrorCode[] = ["NONCE_EXPIRED", "REPLACEMENT_UNDERPRICED"];
const NONCE_TAKEN_RETRIES = 4;

/**
 * Sends again when the node refused the transaction for its nonce: another sender of the same
 * account (another organisation's gateway on a development chain's unlocked account, or a
 * governance command) took that nonce meanwhile. Refused means not sent, so sending again cannot
 * register anything twice; each try takes the node's next nonce.
 */
async function sendPastTakenNonce<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const sentHash = (error as { info?: { sendTransactionHash?: unknown } }).info?.sendTransactionHash;
      if (attempt > NONCE_TAKEN_RETRIES || typeof sentHash === "string" || !NONCE_TAKEN.some((code) => isError(error, code))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/**
 * What became of one addMember call. `refused`: certain that it registered nothing (simulation
 * reverted, the node refused the transaction, or its receipt or a later state says so). `unknown`:
 * it may have been sent and no answer settled it.
 */
type SendOutcome =
  | { kind: "added"; memberId: bigint; txHash: string }
  | { kind: "refused"; error: unknown }
  | { kind: "unknown"; error: unknown; txHash: string | null; tx: TransactionResponse | null; memberId: bigint | null };

/** ethers error codes thrown before a transaction leaves the signer, or when the node rejects it. */
const NOT_SENT: readonly ErrorCode[] = ["CALL_EXCEPTION", "INSUFFICIENT_FUNDS", "NONCE_EXPIRED", "REPLACEMENT_UNDERPRICED", "ACTION_REJECTED"];

async function sendAddMember(registry: LotRegistry, args: Parameters<LotRegistry["addMember"]["staticCall"]>): Promise<SendOutcome> {
  // A refusal found by simulation is certain and nothing is sent yet.
  try {
    await registry.addMember.staticCall(...args);
  } catch (error) {
    return { kind: "refused", error };
  }
  let tx: TransactionResponse;
  try {
    tx = await oneAtATime(registry, () => registry.addMember(...args));
  } catch (error) {
    const sentHash = (error as { info?: { sendTransactionHash?: unknown } }).info?.sendTransactionHash;
    if (typeof sentHash !== "string" && NOT_SENT.some((code) => isError(error, code))) return { kind: "refused", error };
    return { kind: "unknown", error, txHash: typeof sentHash === "string" ? sentHash : null, tx: null, memberId: null };
  }
  let receipt: TransactionReceipt | null;
  try {
    receipt = await tx.wait();
  } catch (error) {
    // ethers throws CALL_EXCEPTION with the receipt when the transaction was mined and reverted.
    const reverted = isError(error, "CALL_EXCEPTION") && (error as { receipt?: TransactionReceipt | null }).receipt?.status === 0;
    if (reverted) return { kind: "refused", error: new MemberAdminError(`addMember transaction ${tx.hash} reverted`, { cause: error }) };
    return { kind: "unknown", error, txHash: tx.hash, tx, memberId: null };
  }
  if (receipt && receipt.status === 0) return { kind: "refused", error: new MemberAdminError(`addMember transaction ${tx.hash} reverted`) };
  const added = receipt?.logs.map((log) => tryParse(registry, log)).find((event) => event?.name === "MemberAdded");
  if (!receipt || !added) {
    return { kind: "unknown", error: new MemberAdminError(`addMember transaction ${tx.hash} emitted no MemberAdded`), txHash: tx.hash, tx, memberId: null };
  }
  return { kind: "added", memberId: BigInt(added.args[0]), txHash: tx.hash };
}

/**
 * Asks the chain what an unanswered addMember did, from `account` (one of the accounts it adds;
 * a fresh custodial one when there is any, so only this transaction can have registered it).
 * Registered: added. Not registered, and the transaction can no longer be mined (mined, or its
 * sender's nonce used by another transaction): refused. Anything else stays unknown.
 */
async function settleOutcome(registry: LotRegistry, account: string, outcome: Extract<SendOutcome, { kind: "unknown" }>): Promise<SendOutcome> {
  try {
    const provider = registry.runner?.provider;
    // The nonce first: if it moved before the receipt is looked for, a missing receipt is final.
    const nonceUsed = outcome.tx && provider ? (await provider.getTransactionCount(outcome.tx.from, "latest")) > outcome.tx.nonce : false;
    const receipt = outcome.txHash && provider ? await provider.getTransactionReceipt(outcome.txHash) : null;
    const [memberId] = await registry.accountOf(account);
    if (memberId !== 0n) {
      return outcome.txHash !== null && receipt?.status === 1 ? { kind: "added", memberId, txHash: outcome.txHash } : { ...outcome, memberId };
    }
    if (receipt || nonceUsed) return { kind: "refused", error: outcome.error };
    return outcome;
  } catch {
    return outcome;
  }
}

async function refileKeys(db: Database, custodial: readonly string[], memberId: bigint): Promise<void> {
  if (custodial.length === 0) return;
  await db.query("update custodial_keys set member_id = $1 where address = any($2::text[])", [memberId, custodial.map((a) => a.toLowerCase())]);
}

/**
 * The contract's decoded custom error, else an ethers error's one line (its full message repeats
 * the request, which may carry the node's URL and its credentials).
 */
function errorDetails(error: unknown): string | undefined {
  if (error === undefined || error === null) return undefined;
  const revert = decodeRevert(revertDataOf(error));
  if (revert) return revert.summary;
  const e = error as { shortMessage?: unknown; message?: unknown };
  return typeof e.shortMessage === "string" ? e.shortMessage : typeof e.message === "string" ? e.message : String(error);
}

function countryBytes(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) throw new MemberAdminError(`Not an ISO 3166-1 alpha-2 country code: ${JSON.stringify(code)} (e.g. ID, TH, MY)`);
  return hexlify(toUtf8Bytes(code));
}

function tryParse(registry: LotRegistry, log: { topics: readonly string[]; data: string }) {
  try {
    return registry.interface.parseLog({ topics: [...log.topics], data: log.data });
  } catch {
    return null;
  }
}
