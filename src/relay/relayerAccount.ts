import { ZeroHash, formatEther, parseEther, type JsonRpcProvider, type Signer } from "ethers";
import type { Database } from "../db/database";
import { lotRegistryAt } from "../chain/contracts";
import type { CustodialSigner } from "../chain/keystore/custodialSigner";
import type { Keystore } from "../chain/keystore/keystore";
import { RelayerMissingError } from "./errors";
import { Role } from "../membership/roles";

/**
 * The relayer account: a custodial key of a member with the relayer role, which sends the
 * forwarder's transactions. On Besu, account permissioning lets only active member accounts send
 * transactions (hence a member), and gas is free (min-gas-price 0), so it needs no funds. On the
 * embedded anvil chain it is created once by the governor and funded with test ether.
 */
export type EnsureRelayerAccountParameters = {
  db: Database;
  keystore: Keystore;
  provider: JsonRpcProvider;
  chainId: bigint;
  registry: string;
  /** The governor that creates and funds it on the embedded chain; null in production. */
  governor: Signer | null;
  /** Embedded: top up below `minimum` with `topUp` (defaults 100 and 1,000 test ether). */
  funding?: { minimum: bigint; topUp: bigint } | undefined;
  log?: (message: string) => void;
};

export type EnsureRelayerAccountReturnType = { signer: CustodialSigner; memberId: bigint; created: boolean };

export async function ensureRelayerAccount(parameters: EnsureRelayerAccountParameters): Promise<EnsureRelayerAccountReturnType> {
  const { db, keystore, provider, chainId, governor, log = () => {} } = parameters;
  const registry = lotRegistryAt(parameters.registry, governor ?? provider);
  const { rows } = await db.query<{ address: string; member_id: bigint }>(
    "select address, member_id from relay_accounts where chain_id = $1 order by created_at desc limit 1",
    [chainId],
  );
  let created = false;
  let address: string;
  let memberId: bigint;
  if (rows[0]) {
    address = rows[0].address;
    memberId = rows[0].member_id;
  } else {
    if (!governor) {
      throw new RelayerMissingError(`No relayer account for chain ${chainId}`, {
        metaMessages: [
          "Create a member with the relayer role and a custodial key: firstmile members add --roles relayer --country <CC>",
          "(that records it as this gateway's relayer), then start the gateway again.",
        ],
      });
    }
    // The relayer shares the first governor's country: it belongs to whoever runs the network.
    const [governorMember] = await registry.getMember(1n);
    memberId = (await registry.memberCount()) + 1n;
    address = await keystore.createAccount(memberId);
    const receipt = await (await registry.addMember(Role.relayer, governorMember.country, ZeroHash, [address])).wait();
    if (!receipt || receipt.status !== 1) throw new RelayerMissingError("The governor could not add the relayer member");
    const [actual] = await registry.accountOf(address);
    if (actual !== memberId) {
      await db.query("update custodial_keys set member_id = $1 where address = $2", [actual, address.toLowerCase()]);
      memberId = actual;
    }
    await recordRelayerAccount(db, { chainId, address, memberId });
    created = true;
    log(`relayer: created member ${memberId} with account ${address}`);
  }
  const signer = await keystore.signer(address, provider);
  const funding = parameters.funding ?? { minimum: parseEther("100"), topUp: parseEther("1000") };
  if (governor) {
    const balance = await provider.getBalance(address);
    if (balance < funding.minimum) {
      const receipt = await (await governor.sendTransaction({ to: address, value: funding.topUp })).wait();
      if (!receipt || receipt.status !== 1) throw new RelayerMissingError("The governor could not fund the relayer");
      log(`relayer: funded ${address} with ${formatEther(funding.topUp)} test ether`);
    }
  }
  return { signer, memberId, created };
}

/** Records `address` (a custodial account of `memberId`) as the relayer of `chainId`. */
export async function recordRelayerAccount(db: Database, parameters: { chainId: bigint; address: string; memberId: bigint }): Promise<void> {
  await db.query("insert into relay_accounts (chain_id, address, member_id) values ($1, $2, $3) on conflict do nothing", [
    parameters.chainId,
    parameters.address.toLowerCase(),
    parameters.memberId,
  ]);
}
