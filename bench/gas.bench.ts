/**
 * Gas per lot operation, from receipts on the in-process Hardhat network (cancun, optimizer 200),
 * next to a plain OpenZeppelin ERC721URIStorage token measured in the same run. Both sides mint to
 * a holder that already holds a token, so neither pays for a first-holder balance slot.
 *
 * Attestations are measured next to the Ethereum Attestation Service 1.9.0 (npm
 * `@ethereum-attestation-service/eas-contracts`, compiled in the same run with the solc 0.8.29 it
 * pins): an EAS attestation of the same facts (schema `bytes32 subject,bytes32 evidence,bytes32
 * dataHash`, an expiry, revocable) is the baseline for ours.
 *
 * Run: npm run bench:gas   (prints a table, writes bench/out/gas.json; never fails on figures)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { hexlify, randomBytes, ZeroHash, type ContractTransactionResponse } from "ethers";
import { deployAll } from "../deploy";
import {
  AttestationRegistry__factory,
  BaselineLotToken__factory,
  EAS__factory,
  LotRegistry__factory,
  SchemaRegistry__factory,
} from "../typechain-types";
import { SubjectKind, numberSubject, schemeByKey } from "../src/attestations";
import { formByKey } from "../src/lots/forms";
import { Role } from "../src/membership/roles";
import { applyGoverned } from "../src/governance";
import { printTable, writeFigures } from "./report";

const TOKEN_URI = `ipfs://${"bafkrei".padEnd(59, "a")}`; // 66 characters, a CIDv1 raw-leaf URI

async function gasOf(sent: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await sent).wait();
  if (!receipt) throw new Error("no receipt");
  return Number(receipt.gasUsed);
}

const digest = () => hexlify(randomBytes(32));

async function main() {
  const [governor, cooperativeAccount, processorAccount, holderA, holderB, certifierAccount] = await ethers.getSigners();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-bench-")), "deployments.json");
  const deployments = await deployAll({ signer: governor, file, network: "hardhat" });
  const membership = LotRegistry__factory.connect(deployments.contracts.LotRegistry.address, governor);
  await (await membership.addMember(Role.cooperative, "0x4944", ZeroHash, [cooperativeAccount.address])).wait();
  await (await membership.addMember(Role.processor, "0x4d59", ZeroHash, [processorAccount.address])).wait();
  const cooperative = LotRegistry__factory.connect(deployments.contracts.LotRegistry.address, cooperativeAccount);
  const processor = cooperative.connect(processorAccount);

  const wet = formByKey("cocoa-wet-beans").id;
  const dry = formByKey("cocoa-dry-beans").id;
  const cupLump = formByKey("rubber-cup-lump").id;
  const tsr20 = formByKey("rubber-tsr20").id;
  // Wet beans weighed with their moisture (a cooperative's scale reading, 52-60 %).
  const delivery = () => ({
    form: wet,
    grams: 48_250n + BigInt(Math.floor(Math.random() * 1000)),
    quality: 5_200 + Math.floor(Math.random() * 800),
    metadata: digest(),
    origin: digest(),
  });

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
  const accept = await gasOf(processor.accept(lotA, lotAState.grams, 0));

  const lotB = lotA - 1n;
  const [lotBState] = await cooperative.getLot(lotB);
  const half = lotBState.grams / 2n;
  const split = await gasOf(
    cooperative.split(lotB, [
      { form: wet, grams: half, quality: 0, metadata: digest() },
      { form: wet, grams: lotBState.grams - half, quality: 0, metadata: digest() },
    ]),
  );
  const merge = await gasOf(cooperative.merge([lotA - 2n, lotA - 3n], digest()));
  const merged = (await cooperative.nextLotId(cooperativeAccount.address)) - 1n;
  const [mergedState] = await cooperative.getLot(merged);
  const transform = await gasOf(
    cooperative.transform([merged], [{ form: dry, grams: (mergedState.grams * 40n) / 100n, quality: 740, metadata: digest() }]),
  );
  // The same shape on dry weight: cup lump with its DRC into a TSR 20 block (output / dry rubber in).
  const lump = await cooperative.nextLotId(cooperativeAccount.address);
  await (await cooperative.mintBatch([{ form: cupLump, grams: 48_600n, quality: 5_650, metadata: digest(), origin: digest() }])).wait();
  const drcTransform = await gasOf(
    cooperative.transform([lump], [{ form: tsr20, grams: (48_600n * 5_650n * 98n) / 1_000_000n, quality: 0, metadata: digest() }]),
  );

  // ------------------------------------------------------------------------------- attestations
  // EAS baseline: one attestation of (subject, evidence, dataHash) with an expiry, revocable; the
  // second one is measured so neither side pays for first-use slots of the attester.
  const schemaRegistry = await new SchemaRegistry__factory(governor).deploy();
  const eas = await new EAS__factory(governor).deploy(schemaRegistry);
  const schema = "bytes32 subject,bytes32 evidence,bytes32 dataHash";
  const schemaUid = await schemaRegistry.register.staticCall(schema, ethers.ZeroAddress, true);
  await (await schemaRegistry.register(schema, ethers.ZeroAddress, true)).wait();
  const yearFromNow = BigInt(Math.floor(Date.now() / 1000)) + 2n * 365n * 86_400n;
  const easData = () => ({
    recipient: ethers.ZeroAddress,
    expirationTime: yearFromNow,
    revocable: true,
    refUID: ZeroHash,
    data: ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32", "bytes32"], [digest(), digest(), digest()]),
    value: 0n,
  });
  const easAsCertifier = eas.connect(certifierAccount);
  await (await easAsCertifier.attest({ schema: schemaUid, data: easData() })).wait();
  const easAttest = await gasOf(easAsCertifier.attest({ schema: schemaUid, data: easData() }));
  const easMulti100 =
    (await gasOf(
      easAsCertifier.multiAttest([{ schema: schemaUid, data: Array.from({ length: 100 }, easData) }], { gasLimit: 29_000_000 }),
    )) / 100;

  // Ours: a certifier member accredited for the deployed demo schemes.
  const attestations = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry.address, governor);
  await (await membership.addMember(Role.certifier, "0x4d59", ZeroHash, [certifierAccount.address])).wait();
  const certifierMember = (await membership.accountOf(certifierAccount.address)).memberId;
  const schemeId = async (key: string) => {
    const spec = schemeByKey(key);
    return attestations.schemeIdOf(spec.name, spec.version);
  };
  const [eudr, fairtrade, organic] = await Promise.all(
    ["no-forest-loss-since-2020", "fair-price-premium", "organic"].map(schemeId),
  );
  // Accreditation adds trust: it goes through governance (one governor, no delay on this network).
  await applyGoverned(
    governor,
    deployments,
    [eudr, fairtrade, organic].map((scheme) => ({
      target: deployments.contracts.AttestationRegistry.address,
      data: attestations.interface.encodeFunctionData("accredit", [scheme, certifierMember, yearFromNow]),
      description: `accredit(${scheme})`,
    })),
  );
  const certifier = attestations.connect(certifierAccount);
  const request = (kind: keyof typeof SubjectKind, subject: string) => ({
    subjectKind: SubjectKind[kind],
    subject,
    expiresAt: yearFromNow,
    evidence: digest(),
    dataHash: digest(),
  });
  const freshLots = async (count: number) => {
    const first = await cooperative.nextLotId(cooperativeAccount.address);
    await (await cooperative.mintBatch(Array.from({ length: count }, delivery))).wait();
    return Array.from({ length: count }, (_, index) => first + BigInt(index));
  };
  await (await certifier.attest(eudr, request("plot", digest()))).wait();
  const attestPlot = await gasOf(certifier.attest(eudr, request("plot", digest())));
  // The EUDR claim from mint (mintBatchObserved): a delivery from a plot with a valid plot
  // attestation, against the same delivery minted plainly; and 100 such deliveries, per lot.
  const clearPlots = Array.from({ length: 101 }, () => digest());
  await (await certifier.attestBatch(eudr, clearPlots.map((plot) => request("plot", plot)))).wait();
  const fromPlot = (plot: string) => ({ ...delivery(), origin: plot });
  const plainOne = await gasOf(cooperative.mintBatch([fromPlot(clearPlots[0]!)]));
  const eudrOne = await gasOf(cooperative.mintBatchObserved([fromPlot(clearPlots[0]!)]));
  const plainPlotBatch100 = (await gasOf(cooperative.mintBatch(clearPlots.slice(1).map(fromPlot)))) / 100;
  const eudrBatch100 = (await gasOf(cooperative.mintBatchObserved(clearPlots.slice(1).map(fromPlot)))) / 100;
  const [lotForAttest, lotForRevoke] = await freshLots(2);
  const attestLotGas = await gasOf(certifier.attest(fairtrade, request("lot", numberSubject(lotForAttest))));
  const plotBatch100 =
    (await gasOf(certifier.attestBatch(eudr, Array.from({ length: 100 }, () => request("plot", digest()))))) / 100;
  const batchLots = await freshLots(100);
  const lotBatch100 =
    (await gasOf(certifier.attestBatch(organic, batchLots.map((lotId) => request("lot", numberSubject(lotId)))))) / 100;
  const revokeReceipt = await (await certifier.attest(organic, request("lot", numberSubject(lotForRevoke)))).wait();
  const revokeUid = attestations.interface.parseLog(revokeReceipt!.logs[0])!.args.uid;
  const revoke = await gasOf(certifier.revoke(revokeUid, 1));

  // carriesClaim, as a transaction would pay for it: a directly attested lot and a lot the claim
  // was carried to by a split (organic is segregated).
  const carriedFirst = await cooperative.nextLotId(cooperativeAccount.address);
  const [batchLotState] = await cooperative.getLot(batchLots[0]);
  const half2 = batchLotState.grams / 2n;
  const splitCarrying = await gasOf(
    cooperative.split(batchLots[0], [
      { form: wet, grams: half2, quality: 0, metadata: digest() },
      { form: wet, grams: batchLotState.grams - half2, quality: 0, metadata: digest() },
    ]),
  );
  const carriesDirect = Number(await attestations.carriesClaim.estimateGas(batchLots[1], organic));
  const carriesCarried = Number(await attestations.carriesClaim.estimateGas(carriedFirst, organic));
  const carries100 = Number(
    await attestations.carriesClaims.estimateGas(batchLots.slice(1), batchLots.slice(1).map(() => organic)),
  );
  // After a revocation anywhere in the scheme, a carried claim is checked by walking back to its
  // origins: here a lot carried through two derivations (a merge of 8 attested lots, then a split).
  const walkLots = batchLots.slice(2, 10);
  const mergedWalk = await cooperative.nextLotId(cooperativeAccount.address);
  await (await cooperative.merge(walkLots, digest())).wait();
  const [mergedWalkState] = await cooperative.getLot(mergedWalk);
  const walkFirst = mergedWalk + 1n;
  await (await cooperative.split(mergedWalk, [
    { form: wet, grams: mergedWalkState.grams / 2n, quality: 0, metadata: digest() },
    { form: wet, grams: mergedWalkState.grams - mergedWalkState.grams / 2n, quality: 0, metadata: digest() },
  ])).wait();
  const revokedElsewhere = (await certifier.attest(organic, request("lot", numberSubject(batchLots[20])))).wait();
  const elsewhereUid = attestations.interface.parseLog((await revokedElsewhere)!.logs[0])!.args.uid;
  await (await certifier.revoke(elsewhereUid, 1)).wait();
  const carriesWalk = Number(await attestations.carriesClaim.estimateGas(walkFirst, organic));
  // Mass balance: the credit a revoked attestation became is withdrawn in the revocation.
  const [creditLot] = await freshLots(1);
  const creditReceipt = await (await certifier.attest(fairtrade, request("lot", numberSubject(creditLot)))).wait();
  const creditUid = attestations.interface.parseLog(creditReceipt!.logs[0])!.args.uid;
  await (await cooperative.offer(creditLot, processorAccount.address)).wait();
  await (await processor.accept(creditLot, (await cooperative.getLot(creditLot))[0].grams, 0)).wait();
  const revokeWithdrawing = await gasOf(certifier.revoke(creditUid, 1));
  // The case the batch limit is set for: a split into MAX_OUTPUTS parts, each carrying the claim of
  // the deployed lot scheme that carries (organic), against a 30M-gas QBFT block. With two carried
  // schemes it is 24.5M gas (test/contracts/securityReview.test.ts).
  const maxOutputs = Number(await cooperative.MAX_OUTPUTS());
  const [bigLot] = await freshLots(1);
  await (await certifier.attest(organic, request("lot", numberSubject(bigLot)))).wait();
  const [bigLotState] = await cooperative.getLot(bigLot);
  const partGrams = bigLotState.grams / BigInt(maxOutputs);
  const bigParts = Array.from({ length: maxOutputs }, (_, index) => ({
    form: wet,
    grams: index === maxOutputs - 1 ? bigLotState.grams - partGrams * BigInt(maxOutputs - 1) : partGrams,
    quality: 0,
    metadata: digest(),
  }));
  const splitMax = Number(await cooperative.split.estimateGas(bigLot, bigParts));


  const ratio = (gas: number) => Number((gas / baselineMint).toFixed(3));
  const easRatio = (gas: number) => (gas / easAttest).toFixed(3);
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
    ["transform 1 -> 1 on dry weight (cup lump DRC -> TSR 20)", drcTransform, ratio(drcTransform).toFixed(3)],
    ["  extra gas of the DRC check", drcTransform - transform, ratio(drcTransform - transform).toFixed(3)],
  ];
  console.log("\nGas per operation (receipts; ratio = gas / baseline mint gas)\n");
  printTable(["operation", "gas", "ratio"], rows);

  const attestationRows: Array<[string, number, string]> = [
    ["EAS attest (baseline)", easAttest, "1.000"],
    ["EAS multiAttest of 100, per item", Math.round(easMulti100), easRatio(easMulti100)],
    ["attest a lot", attestLotGas, easRatio(attestLotGas)],
    ["attest a plot", attestPlot, easRatio(attestPlot)],
    ["attestBatch of 100 lots, per item", Math.round(lotBatch100), easRatio(lotBatch100)],
    ["attestBatch of 100 plots, per item", Math.round(plotBatch100), easRatio(plotBatch100)],
    ["revoke", revoke, easRatio(revoke)],
    ["mint 1 delivery from a clear plot, EUDR claim from mint (mintBatchObserved)", eudrOne, easRatio(eudrOne)],
    ["  extra gas over the same plain mint", eudrOne - plainOne, easRatio(eudrOne - plainOne)],
    ["mintBatchObserved of 100 from clear plots, per lot", Math.round(eudrBatch100), easRatio(eudrBatch100)],
    ["  extra gas per lot over mintBatch of 100", Math.round(eudrBatch100 - plainPlotBatch100), easRatio(eudrBatch100 - plainPlotBatch100)],
    ["split into 2, carrying a claim", splitCarrying, easRatio(splitCarrying)],
    ["carriesClaim, attested lot (eth_call)", carriesDirect, easRatio(carriesDirect)],
    ["carriesClaim, carried lot (eth_call)", carriesCarried, easRatio(carriesCarried)],
    ["carriesClaims of 99 lots (eth_call)", carries100, easRatio(carries100)],
    ["carriesClaim, carried lot after a revocation (walk of 2 derivations, 8 origins)", carriesWalk, easRatio(carriesWalk)],
    ["revoke, withdrawing mass-balance credit", revokeWithdrawing, easRatio(revokeWithdrawing)],
    [`split into ${maxOutputs} parts (MAX_OUTPUTS), carrying a claim`, splitMax, easRatio(splitMax)],
  ];
  console.log("\nAttestations (receipts, eth_call as estimateGas; ratio = gas / EAS attest gas)\n");
  printTable(["operation", "gas", "vs EAS attest"], attestationRows);

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
    transform_drc_gas: drcTransform,
    transform_drc_extra_gas: drcTransform - transform,
    mint_vs_baseline: ratio(mint),
    batch100_per_lot_vs_baseline: ratio(batch100),
    handover_vs_baseline_transfer: Number(((offer + accept) / baselineTransfer).toFixed(3)),
    eas_attest_gas: easAttest,
    eas_multi_attest100_per_item_gas: Math.round(easMulti100),
    attest_lot_gas: attestLotGas,
    attest_plot_gas: attestPlot,
    batch100_attest_lot_per_item_gas: Math.round(lotBatch100),
    batch100_attest_plot_per_item_gas: Math.round(plotBatch100),
    revoke_gas: revoke,
    mint_eudr_origin_gas: eudrOne,
    mint_eudr_origin_extra_gas: eudrOne - plainOne,
    batch100_eudr_origin_per_lot_gas: Math.round(eudrBatch100),
    batch100_eudr_origin_extra_per_lot_gas: Math.round(eudrBatch100 - plainPlotBatch100),
    split2_carrying_claim_gas: splitCarrying,
    carries_claim_attested_gas: carriesDirect,
    carries_claim_carried_gas: carriesCarried,
    carries_claims99_gas: carries100,
    carries_claim_walk_gas: carriesWalk,
    revoke_withdrawing_credit_gas: revokeWithdrawing,
    split_max_outputs_carrying_gas: splitMax,
    split_max_outputs_vs_30m_block: Number((splitMax / 30_000_000).toFixed(3)),
    // The worse of the subjects (a lot attestation also marks the lot's scheme bitmap).
    attest_vs_eas: Number((Math.max(attestLotGas, attestPlot) / easAttest).toFixed(3)),
    batch100_attest_per_item_vs_eas: Number((Math.max(lotBatch100, plotBatch100) / easAttest).toFixed(3)),
  };
  console.log(`\ntargets: mint_vs_baseline <= 0.55 (${figures.mint_vs_baseline}), batch100_per_lot_vs_baseline <= 0.34 (${figures.batch100_per_lot_vs_baseline})`);
  console.log(`targets: attest_vs_eas <= 1.0 (${figures.attest_vs_eas}), batch100_attest_per_item_vs_eas <= 0.5 (${figures.batch100_attest_per_item_vs_eas})`);
  console.log(`written: ${writeFigures("gas", figures)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
