import { ZeroAddress } from "ethers";
import { LotRegistry__factory } from "../typechain-types";
import { Commodity, FORMS, YIELDS, formByKey } from "../src/lots/forms";
import type { GovernedCall } from "../src/governance/governedCall";
import { applyChanges, catalogueLine, type DeployStep } from "./context";

/**
 * Registers the form catalogue and yield bounds; only what the chain does not have yet (forms
 * missing, tolerances or bounds that differ). Once governance is set, only what the chain lacks,
 * as proposals.
 */
export const formsStep: DeployStep = {
  id: "003_forms",
  async run(context) {
    const address = context.deployments.contracts.LotRegistry.address;
    const lots = LotRegistry__factory.connect(address, context.signer);
    // Once governance is set, the chain's catalogue is what the governors decided: a restart
    // proposes only what the chain lacks (a new form, bounds never set), never a return of changed
    // values to the figures in the code.
    const governed = (await lots.governance()) !== ZeroAddress;
    const change = (description: string, data: string): GovernedCall => ({ target: address, data, description });
    const forms: GovernedCall[] = [];
    const tolerances: GovernedCall[] = [];
    for (const form of FORMS) {
      const onChain = await lots.getForm(form.id);
      if (!onChain.registered) {
        forms.push(change(`registerForm(${form.id}, "${form.name}")`, lots.interface.encodeFunctionData("registerForm", [
          form.id, Commodity[form.commodity], form.lossBps, form.gainBps, form.mintable, form.name,
        ])));
      } else if (!governed && (Number(onChain.lossBps) !== form.lossBps || Number(onChain.gainBps) !== form.gainBps)) {
        tolerances.push(change(`setFormTolerance(${form.id}, ${form.lossBps}, ${form.gainBps})`,
          lots.interface.encodeFunctionData("setFormTolerance", [form.id, form.lossBps, form.gainBps])));
      }
    }
    const yields: GovernedCall[] = [];
    for (const bounds of YIELDS) {
      const [from, to] = [formByKey(bounds.from).id, formByKey(bounds.to).id];
      const current = await lots.getYieldBounds(from, to);
      const differs = Number(current.minBps) !== bounds.minBps || Number(current.maxBps) !== bounds.maxBps;
      if (governed ? current.maxBps === 0n : differs) {
        yields.push(change(`setYieldBounds(${from}, ${to}, ${bounds.minBps}, ${bounds.maxBps})`,
          lots.interface.encodeFunctionData("setYieldBounds", [from, to, bounds.minBps, bounds.maxBps])));
      }
    }
    // Forms first: bounds name them.
    const registered = await applyChanges(context, forms);
    const changed = await applyChanges(context, [...tolerances, ...yields]);
    const pending = forms.length + tolerances.length + yields.length - registered - changed;
    context.log(
      `forms: ${catalogueLine([
        { total: FORMS.length, noun: "forms", changed: registered, verb: "new" },
        { total: YIELDS.length, noun: "yield bounds", changed, verb: "set" },
      ])}${pending > 0 ? ` (${pending} changes proposed to governance)` : ""}`,
    );
  },
};
