import { ZeroHash, getAddress, hexlify, isAddress, toUtf8Bytes, type Signer } from "ethers";
import type { Database } from "../db/database";
import { issueApiToken, revokeApiTokens } from "../api/apiTokens";
import type { Keystore } from "../chain/keystore/keystore";
import { BaseError, NonRetryableError } from "../errors/base";
import { Role, bitsToRoles, rolesToBits, type RoleName } from "../membership/roles";
import { recordRelayerAccount } from "../relay/relayerAccount";
import { LotRegistry__factory, type LotRegistry } from "../../typechain-types";

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
  let memberId: bigint;
  let txHash: string;
  try {
    const tx = await registry.addMember(roles, country, parameters.metadata ?? ZeroHash, [...custodial, ...own]);
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new MemberAdminError(`addMember transaction ${tx.hash} failed`);
    const added = receipt.logs.map((log) => tryParse(registry, log)).find((event) => event?.name === "MemberAdded");
    if (!added) throw new MemberAdminError(`addMember transaction ${tx.hash} emitted no MemberAdded`);
    memberId = BigInt(added.args[0]);
    txHash = tx.hash;
  } catch (error) {
    if (custodial.length > 0) await admin.db.query("delete from custodial_keys where address = any($1::text[])", [custodial.map((a) => a.toLowerCase())]);
    throw error instanceof BaseError ? error : new MemberAdminError("The chain refused to add the member", { cause: error, details: (error as Error).message });
  }
  if (memberId !== predicted && custodial.length > 0) {
    await admin.db.query("update custodial_keys set member_id = $1 where address = any($2::text[])", [memberId, custodial.map((a) => a.toLowerCase())]);
  }
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
  accounts: Array<{ address: string; custodial: boolean; active: boolean }>;
  activeTokens: number;
};

/** Every member on chain, with which accounts have keys in this gateway's keystore and how many tokens are live. */
export async function listMembers(admin: Omit<MemberAdmin, "governor"> & { governor?: Signer | null; provider: Signer["provider"] }): Promise<MemberSummary[]> {
  const registry = LotRegistry__factory.connect(admin.registry, admin.provider);
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
      accounts: accounts.map((address, index) => ({ address, custodial: custodial.has(address.toLowerCase()), active: states[index]![1] })),
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
    const tx = await registry.setMemberActive(memberId, false);
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
  const registry = LotRegistry__factory.connect(admin.registry, admin.provider);
  if (memberId < 1n || memberId > (await registry.memberCount())) throw new MemberAdminError(`No member ${memberId} on chain`);
  return (await issueApiToken(admin.db, memberId, label)).token;
}

function governed(admin: MemberAdmin): LotRegistry {
  if (!admin.governor) {
    throw new MemberAdminError("No governor account to sign with", {
      metaMessages: ["On the embedded chain the governor is anvil's first development account; a production network's governors act with their own keys."],
    });
  }
  return LotRegistry__factory.connect(admin.registry, admin.governor);
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
