/**
 * Gas a relayed request costs on top of the call itself: the same mints, offers and accepts sent
 * directly by the member and as EIP-712 `ForwardRequest`s the relayer submits in one forwarder
 * `executeBatch` (as the gateway's relay worker does), from receipts on the in-process Hardhat
 * network (cancun, optimizer 200). docs/production.md's capacity plan uses these figures.
 *
 * Run: npx hardhat run bench/relayGas.bench.ts   (prints a table; never fails on figures)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { hexlify, randomBytes, ZeroAddress, ZeroHash, type Signer } from "ethers";
import { deployAll } from "../deploy";
import { ERC2771Forwarder__factory, LotRegistry__factory } from "../typechain-types";
import { FORWARD_REQUEST_TYPES, forwarderDomain } from "../src/relay/forwardRequest";
import { formByKey } from "../src/lots/forms";
import { Role } from "../src/membership/roles";
import { printTable } from "./report";

async function main() {
  const [governor, relayer, cooperativeAccount, processorAccount] = await ethers.getSigners();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-bench-")), "deployments.json");
  const deployments = await deployAll({ signer: governor, file, network: "hardhat" });
  const registryAddress = deployments.contracts.LotRegistry.address;
  const membership = LotRegistry__factory.connect(registryAddress, governor);
  await (await membership.addMember(Role.cooperative, "0x4944", ZeroHash, [cooperativeAccount.address])).wait();
  await (await membership.addMember(Role.processor, "0x4d59", ZeroHash, [processorAccount.address])).wait();
  await (await membership.addMember(Role.relayer, "0x4944", ZeroHash, [relayer.address])).wait();
  const lots = LotRegistry__factory.connect(registryAddress, cooperativeAccount);
  const forwarder = ERC2771Forwarder__factory.connect(deployments.contracts.Forwarder.address, relayer);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = forwarderDomain(chainId, await forwarder.getAddress());
  const delivery = () => ({ form: formByKey("cocoa-wet-beans").id, grams: 48_250n, quality: 5_500, metadata: hexlify(randomBytes(32)), origin: hexlify(randomBytes(32)) });
  const gasOf = async (sent: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => Number((await (await sent).wait())!.gasUsed);

  /** `count` requests of `from`, each calling the registry with `data(i)`, in one executeBatch. */
  async function relayed(from: Signer, count: number, data: (i: number) => string): Promise<number> {
    const address = await from.getAddress();
    let nonce = await forwarder.nonces(address);
    const deadline = Math.floor(Date.now() / 1000) + 3600;
    const requests = [];
    for (let i = 0; i < count; i++) {
      const call = data(i);
      const message = { from: address, to: registryAddress, value: 0n, gas: 1_000_000n, nonce: nonce++, deadline, data: call };
      const signature = await from.signTypedData(domain, FORWARD_REQUEST_TYPES, message);
      requests.push({ from: address, to: registryAddress, value: 0n, gas: 1_000_000n, deadline, data: call, signature });
    }
    // No refund receiver: a request that fails reverts the batch, so every figure is of calls that ran.
    return (await gasOf(forwarder.executeBatch(requests, ZeroAddress))) / count;
  }

  await (await lots.mint(delivery())).wait(); // the cooperative already holds a lot
  const direct = { mint: await gasOf(lots.mint(delivery())) };
  const relayedMint1 = await relayed(cooperativeAccount, 1, () => lots.interface.encodeFunctionData("mint", [delivery()]));
  const relayedMint50 = await relayed(cooperativeAccount, 50, () => lots.interface.encodeFunctionData("mint", [delivery()]));
  // 50 lots to hand over: offered and accepted directly for the first, relayed for the rest.
  await (await lots.mintBatch(Array.from({ length: 51 }, delivery))).wait();
  const next = await lots.nextLotId(cooperativeAccount.address);
  const ids = Array.from({ length: 51 }, (_, i) => next - 51n + BigInt(i));
  const directOffer = await gasOf(lots.offer(ids[0]!, processorAccount.address));
  const directAccept = await gasOf(lots.connect(processorAccount).accept(ids[0]!, 48_250n, 0));
  const relayedOffer = await relayed(cooperativeAccount, 50, (i) => lots.interface.encodeFunctionData("offer", [ids[i + 1]!, processorAccount.address]));
  const relayedAccept = await relayed(processorAccount, 50, (i) => lots.interface.encodeFunctionData("accept", [ids[i + 1]!, 48_250n, 0]));

  console.log("\nRelayed vs direct (receipts; relayed = executeBatch gas / requests)\n");
  printTable(["operation", "gas", "over direct"], [
    ["mint, direct", direct.mint, ""],
    ["mint, relayed alone (executeBatch of 1)", Math.round(relayedMint1), Math.round(relayedMint1 - direct.mint)],
    ["mint, relayed in executeBatch of 50, per request", Math.round(relayedMint50), Math.round(relayedMint50 - direct.mint)],
    ["offer, direct", directOffer, ""],
    ["offer, relayed in executeBatch of 50, per request", Math.round(relayedOffer), Math.round(relayedOffer - directOffer)],
    ["accept, direct", directAccept, ""],
    ["accept, relayed in executeBatch of 50, per request", Math.round(relayedAccept), Math.round(relayedAccept - directAccept)],
  ]);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
