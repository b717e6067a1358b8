import { ZeroAddress } from "ethers";
import { FormCatalogue__factory } from "../typechain-types";
import { formCatalogueAt, lotRegistryAt } from "../src/chain/contracts";
import { Commodity, FORMS, YIELDS, formByKey, yieldOutputId } from "../src/lots/forms";
import type { GovernedCall } from "../src/governance/governedCall";
import { applyChanges, catalogueLine, ensureContract, type DeployStep } from "./context";

/**
 * The form catalogue: the forms and their handover allowances in the lot registry (mint and
 * handover enforce them), and the form catalogue contract (dry-weight forms, yield bounds; every
 * transform is checked against it), deployed and set on the registry. Only what the chain does not
 * have yet (forms missing, tolerances, flags or bounds that differ). Once governance is set, only
 * what the chain lacks, as proposals.
 */
export const formsStep: DeployStep = {
  id: "003_forms",
  async run(context) {
    const address = context.deployments.contracts.LotRegistry.address;
    const forwarder = context.deployments.contracts.Forwarder.address;
    const lots = lotRegistryAt(address, context.signer);
    const known = context.deployments.contracts.FormCatalogue?.address;
    const catalogueAddress = await ensureContract(context, "FormCatalogue", () =>
      new FormCatalogue__factory(context.signer).deploy(forwarder, address),
    );
    const catalogue = formCatalogueAt(catalogueAddress, context.signer);
    const freshCatalogue = known?.toLowerCase() !== catalogueAddress.toLowerCase();
    // Once governance is set, the chain's catalogue is what the governors decided: a restart
    // proposes only what the chain lacks (a new form, bounds never set, the flags of a form or a
    // catalogue new in this run), never a return of changed values to the figures in the code.
    const governed = (await lots.governance()) !== ZeroAddress;
    const change = (target: string, description: string, data: string): GovernedCall => ({ target, data, description });
    const wiring: GovernedCall[] = [];
    if ((await lots.formCatalogue()).toLowerCase() !== catalogueAddress.toLowerCase()) {
      wiring.push(change(address, `setFormCatalogue(${catalogueAddress})`, lots.interface.encodeFunctionData("setFormCatalogue", [catalogueAddress])));
    }
    const forms: GovernedCall[] = [];
    const tolerances: GovernedCall[] = [];
    const flags: GovernedCall[] = [];
    // Every read at once: asked one by one, the catalogue's ~120 reads took most of a first deploy.
    const [formsOnChain, dryFlags, boundsOnChain] = await Promise.all([
      Promise.all(FORMS.map((form) => lots.getForm(form.id))),
      Promise.all(FORMS.map((form) => catalogue.isDryBasis(form.id))),
      Promise.all(YIELDS.map((bounds) => catalogue.getYieldBounds(formByKey(bounds.from).id, yieldOutputId(bounds.to)))),
    ]);
    for (const [index, form] of FORMS.entries()) {
      const onChain = formsOnChain[index]!;
      if (!onChain.registered) {
        forms.push(change(address, `registerForm(${form.id}, "${form.name}")`, lots.interface.encodeFunctionData("registerForm", [
          form.id, Commodity[form.commodity], form.lossBps, form.gainBps, form.mintable, form.name,
        ])));
      } else if (!governed && (Number(onChain.lossBps) !== form.lossBps || Number(onChain.gainBps) !== form.gainBps)) {
        tolerances.push(change(address, `setFormTolerance(${form.id}, ${form.lossBps}, ${form.gainBps})`,
          lots.interface.encodeFunctionData("setFormTolerance", [form.id, form.lossBps, form.gainBps])));
      }
      const dryBasis = dryFlags[index]!;
      const lacking = !onChain.registered || freshCatalogue;
      if (dryBasis !== form.dryBasis && (governed ? lacking && form.dryBasis : true)) {
        flags.push(change(catalogueAddress, `setDryBasis(${form.id}, ${form.dryBasis})`,
          catalogue.interface.encodeFunctionData("setDryBasis", [form.id, form.dryBasis])));
      }
    }
    const yields: GovernedCall[] = [];
    for (const [index, bounds] of YIELDS.entries()) {
      const [from, to] = [formByKey(bounds.from).id, yieldOutputId(bounds.to)];
      const current = boundsOnChain[index]!;
      const differs = Number(current.minBps) !== bounds.minBps || Number(current.maxBps) !== bounds.maxBps;
      if (governed ? current.maxBps === 0n : differs) {
        yields.push(change(catalogueAddress, `setYieldBounds(${from}, ${to}, ${bounds.minBps}, ${bounds.maxBps})`,
          catalogue.interface.encodeFunctionData("setYieldBounds", [from, to, bounds.minBps, bounds.maxBps])));
      }
    }
    // Forms first: flags and bounds name them.
    const wired = await applyChanges(context, wiring);
    const registered = await applyChanges(context, forms);
    const adjusted = await applyChanges(context, tolerances);
    const flagged = await applyChanges(context, flags);
    const set = await applyChanges(context, yields);
    const pending = wiring.length + forms.length + tolerances.length + flags.length + yields.length - wired - registered - adjusted - flagged - set;
    context.log(
      `forms: ${catalogueLine([
        { total: FORMS.length, noun: "forms", changed: registered, verb: "new" },
        { total: YIELDS.length, noun: "yield bounds", changed: set, verb: "set" },
        { total: FORMS.filter((form) => form.dryBasis).length, noun: "dry-weight forms", changed: flagged, verb: "set" },
      ])}${pending > 0 ? ` (${pending} changes proposed to governance)` : ""}`,
    );
  },
};
