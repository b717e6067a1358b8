/**
 * Gas per lot operation, from receipts on the in-process Hardhat network (cancun, optimizer 200),
 * next to a plain OpenZeppelin ERC721URIStorage token measured in the same run. Both sides mint to
 * a holder that already holds a token, so neither pays for a first-holder balance slot.
 *
 * Run: npm run bench:gas   (prints a table, writes bench/out/gas.json; never fails on figures)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { hexlify, randomBytes, ZeroHash, type ContractTransactionResponse } from "ethers";
import { deployAll } from "../deploy";
import { BaselineLotToken__factory, LotRegistry__factory } from "../typechain-types";
import { formByKey } from "../src/lots/forms";
import { Role } from "../src/membership/roles";
import { printTable, writeFigures } from "./report";

const TOKEN_URI = `ipfs://${"bafkrei".padEnd(59, "a")}`; // 66 characters, a CIDv1 raw-leaf URI

async function gasOf(sent: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await sent).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

const digest = () => hexlify(randomBytes(32));

async function main() {
  const [governor, cooperativeAccount, processorAccount, holderA, holderB] = await ethers.getSigners();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-bench-")), "deployments.json");
  const deployments = await deployAll({ signer: governor, file, network: "hardhat" });
  const membership = LotRegistry__factory.connect(deployments.contracts.LotRegistry.address, governor);
  await (await membership.addMember(Role.cooperative, "0x4944", ZeroHash, [cooperativeAccount.address])).wait();
  await (await membership.addMember(Role.processor, "0x4d59", ZeroHash, [processorAccount.address])).wait();
  const cooperative = LotRegistry__factory.connect(deployments.contracts.LotRegistry.address, cooperativeAccount);
  const processor = cooperative.connect(processorAccount);

  const wet = formByKey("cocoa-wet-beans").id;
  const dry = formByKey("cocoa-dry-beans").id;
  const delivery = () => ({ form: wet, grams: 48_250n + BigInt(Math.floor(Math.random() * 1000)), metadata: digest(), origin: digest() });

  // Baseline: warm both holders, then measure a mint and a transfer between existing holders.
  const baseline = await new BaselineLotToken__factory(governor).deploy();
  await (await baseline.mint(holderA.address, TOKEN_URI)).wait();
  await (await baseline.mint(holderB.address, TOKEN_URI)).wait();
  const baselineMint = await gasOf(baseline.mint(holderA.address, TOKEN_URI));
  const baselineTransfer = await gasOf(
    baseline.connect(holderA)["safeTransferFrom(address,address,uint256)"](holderA.address, holderB.address, 1n),
  );

  // Ours: the cooperative already holds a lot (as every cooperative does after its first delivery).
  await (await cooperative.mint(delivery())).wait();
  const mint = await gasOf(cooperative.mint(delivery()));
  const batch = async (size: number) =>
    (await gasOf(cooperative.mintBatch(Array.from({ length: size }, delivery)))) / size;
  const batch1 = await batch(1);
  const batch10 = await batch(10);
  const batch100 = await batch(100);

  const lotA = (await cooperative.nextLotId(cooperativeAccount.address)) - 1n;
  const offer = await gasOf(cooperative.offer(lotA, processorAccount.address));
  const [lotAState] = await cooperative.getLot(lotA);
  const accept = await gasOf(processor.accept(lotA, lotAState.grams));

  const lotB = lotA - 1n;
  const [lotBState] = await cooperative.getLot(lotB);
  const half = lotBState.grams / 2n;
  const split = await gasOf(
    cooperative.split(lotB, [
      { form: wet, grams: half, metadata: digest() },
      { form: wet, grams: lotBState.grams - half, metadata: digest() },
    ]),
  );
  const merge = await gasOf(cooperative.merge([lotA - 2n, lotA - 3n], digest()));
  const merged = (await cooperative.nextLotId(cooperativeAccount.address)) - 1n;
  const [mergedState] = await cooperative.getLot(merged);
  const transform = await gasOf(
    cooperative.transform([merged], [{ form: dry, grams: (mergedState.grams * 40n) / 100n, metadata: digest() }]),
  );

  const ratio = (gas: number) => Number((gas / baselineMint).toFixed(3));
  const rows: Array<[string, number, string]> = [
    ["baseline ERC721URIStorage mint (66-char URI)", baselineMint, "1.000"],
    ["baseline safeTransferFrom", baselineTransfer, ratio(baselineTransfer).toFixed(3)],
    ["mint one delivery", mint, ratio(mint).toFixed(3)],
    ["batch mint of 1, per lot", Math.round(batch1), ratio(batch1).toFixed(3)],
    ["batch mint of 10, per lot", Math.round(batch10), ratio(batch10).toFixed(3)],
    ["batch mint of 100, per lot", Math.round(batch100), ratio(batch100).toFixed(3)],
    ["offer", offer, ratio(offer).toFixed(3)],
    ["accept (first lot of the receiver)", accept, ratio(accept).toFixed(3)],
    ["offer + accept vs safeTransferFrom", offer + accept, (((offer + accept) / baselineTransfer)).toFixed(3)],
    ["split into 2", split, ratio(split).toFixed(3)],
    ["merge 2", merge, ratio(merge).toFixed(3)],
    ["transform 1 -> 1", transform, ratio(transform).toFixed(3)],
  ];
  console.log("\nGas per operation (receipts; ratio = gas / baseline mint gas)\n");
  printTable(["operation", "gas", "ratio"], rows);

  const figures = {
    baseline_mint_gas: baselineMint,
    baseline_safe_transfer_gas: baselineTransfer,
    mint_gas: mint,
    batch1_per_lot_gas: Math.round(batch1),
    batch10_per_lot_gas: Math.round(batch10),
    batch100_per_lot_gas: Math.round(batch100),
    offer_gas: offer,
    accept_gas: accept,
    split2_gas: split,
    merge2_gas: merge,
    transform_gas: transform,
    mint_vs_baseline: ratio(mint),
    batch100_per_lot_vs_baseline: ratio(batch100),
    handover_vs_baseline_transfer: Number(((offer + accept) / baselineTransfer).toFixed(3)),
  };
  console.log(`\ntargets: mint_vs_baseline <= 0.55 (${figures.mint_vs_baseline}), batch100_per_lot_vs_baseline <= 0.34 (${figures.batch100_per_lot_vs_baseline})`);
  console.log(`written: ${writeFigures("gas", figures)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
