import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ILotRegistry } from "../../typechain-types";
import { LotEventKind, computeHistoryHead, eventDigest, foldHead, ingredientsDigest } from "../../src/lots/historyHead";
import { LotStatus, logsOf, receiptOf, type Network } from "./fixtures";

const ZERO = "0x0000000000000000000000000000000000000000";
export type DeriveKind = "split" | "merged" | "transformed";

/**
 * Runs a split, merge or transform and checks everything it promises: the inputs consumed (status,
 * heads folded with the consumption, burned as ERC-721 sees it, records still readable), the outputs
 * minted to the caller with heads committing to the inputs' (and to the declared ingredients), one
 * LotsDerived with exact args, balances. `outputs` are the lots expected, with the quality each gets.
 */
export async function expectDerived(
  network: Network,
  caller: HardhatEthersSigner,
  kind: DeriveKind,
  inputIds: bigint[],
  outputs: ILotRegistry.OutputStruct[],
  run: () => Promise<ContractTransactionResponse>,
  ingredients: ILotRegistry.IngredientStruct[] = [],
): Promise<bigint[]> {
  const { registry } = network;
  const firstOutputId = await registry.nextLotId(caller);
  const inputsBefore = await Promise.all(inputIds.map((id) => registry.getLot(id)));
  const holders = [...new Set([caller.address, ...inputsBefore.map(({ lot }) => lot.custodian)])];
  const balancesBefore = new Map(
    await Promise.all(holders.map(async (h) => [h, await registry.balanceOf(h)] as const)),
  );

  const receipt = await receiptOf(run());

  const outputCount = BigInt(outputs.length);
  const inputHeads = inputsBefore.map(({ head }, index) =>
    foldHead(head, eventDigest({ kind, lotId: inputIds[index], firstOutputId, outputCount })),
  );
  const outputIds = outputs.map((_, index) => firstOutputId + BigInt(index));
  const outputHeads = outputs.map((o, index) =>
    computeHistoryHead([
      {
        kind: "derived",
        lotId: outputIds[index],
        custodian: caller.address,
        form: Number(o.form),
        grams: BigInt(o.grams),
        quality: Number(o.quality),
        metadata: String(o.metadata),
        ingredients: ingredientsDigest(
          ingredients.map((i) => ({ outputForm: Number(i.outputForm), grams: BigInt(i.grams), name: String(i.name) })),
        ),
        inputIds,
        inputHeads,
      },
    ]),
  );

  const derived = logsOf(receipt, registry, "LotsDerived");
  expect(derived).to.have.length(1);
  const { args } = derived[0];
  expect(args.kind).to.equal(LotEventKind[kind]);
  expect(args.custodian).to.equal(caller.address);
  expect([...args.inputIds]).to.deep.equal(inputIds);
  expect([...args.inputHeads]).to.deep.equal(inputHeads);
  expect(args.firstOutputId).to.equal(firstOutputId);
  expect(args.outputs.map((o: ILotRegistry.OutputStructOutput) => [o.form, o.grams, o.quality, o.metadata])).to.deep.equal(
    outputs.map((o) => [BigInt(o.form), BigInt(o.grams), BigInt(o.quality), o.metadata]),
  );
  expect(args.ingredients.map((i: ILotRegistry.IngredientStructOutput) => [i.outputForm, i.grams, i.name])).to.deep.equal(
    ingredients.map((i) => [BigInt(i.outputForm), BigInt(i.grams), i.name]),
  );
  expect([...args.outputHeads]).to.deep.equal(outputHeads);

  expect(logsOf(receipt, registry, "Transfer").map((log) => [...log.args])).to.deep.equal([
    ...inputIds.map((id, index) => [inputsBefore[index].lot.custodian, ZERO, id]),
    ...outputIds.map((id) => [ZERO, caller.address, id]),
  ]);

  for (const [index, id] of inputIds.entries()) {
    const { lot, head, pendingReceiver } = await registry.getLot(id);
    const before = inputsBefore[index].lot;
    expect([lot.custodian, lot.grams, lot.form, lot.status, lot.quality]).to.deep.equal([
      before.custodian,
      before.grams,
      before.form,
      LotStatus.Consumed,
      before.quality,
    ]);
    expect(head).to.equal(inputHeads[index]);
    expect(pendingReceiver).to.equal(ZERO);
    await expect(registry.ownerOf(id)).to.be.revertedWithCustomError(registry, "LotRegistryUnknownLot").withArgs(id);
  }
  for (const [index, id] of outputIds.entries()) {
    const { lot, head } = await registry.getLot(id);
    expect([lot.custodian, lot.grams, lot.form, lot.status, lot.quality]).to.deep.equal([
      caller.address,
      BigInt(outputs[index].grams),
      BigInt(outputs[index].form),
      LotStatus.Active,
      BigInt(outputs[index].quality),
    ]);
    expect(head).to.equal(outputHeads[index]);
    expect(await registry.ownerOf(id)).to.equal(caller.address);
  }
  expect(await registry.historyHeads([...inputIds, ...outputIds])).to.deep.equal([...inputHeads, ...outputHeads]);
  expect(await registry.nextLotId(caller)).to.equal(firstOutputId + outputCount);

  for (const holder of holders) {
    const consumed = inputsBefore.filter(({ lot }) => lot.custodian === holder).length;
    const created = holder === caller.address ? outputs.length : 0;
    expect(await registry.balanceOf(holder), holder).to.equal(
      balancesBefore.get(holder)! - BigInt(consumed) + BigInt(created),
    );
  }
  return outputIds;
}
