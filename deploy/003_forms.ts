import { LotRegistry__factory } from "../typechain-types";
import { Commodity, FORMS, YIELDS, formByKey } from "../src/lots/forms";
import { catalogueLine, sendAll, type DeployStep } from "./context";

/** Registers the form catalogue and yield bounds; only what the chain does not have yet. */
export const formsStep: DeployStep = {
  id: "003_forms",
  async run(context) {
    const lots = LotRegistry__factory.connect(context.deployments.contracts.LotRegistry.address, context.signer);
    const missingForms = [];
    for (const form of FORMS) {
      if (!(await lots.getForm(form.id)).registered) missingForms.push(form);
    }
    await sendAll(
      context.signer,
      missingForms.map((form) => (overrides) =>
        lots.registerForm(form.id, Commodity[form.commodity], form.toleranceBps, form.name, overrides),
      ),
    );
    const changedYields = [];
    for (const bounds of YIELDS) {
      const [from, to] = [formByKey(bounds.from).id, formByKey(bounds.to).id];
      const current = await lots.getYieldBounds(from, to);
      if (Number(current.minBps) !== bounds.minBps || Number(current.maxBps) !== bounds.maxBps) {
        changedYields.push({ from, to, bounds });
      }
    }
    await sendAll(
      context.signer,
      changedYields.map(({ from, to, bounds }) => (overrides) =>
        lots.setYieldBounds(from, to, bounds.minBps, bounds.maxBps, overrides),
      ),
    );
    context.log(
      `forms: ${catalogueLine([
        { total: FORMS.length, noun: "forms", changed: missingForms.length, verb: "new" },
        { total: YIELDS.length, noun: "yield bounds", changed: changedYields.length, verb: "set" },
      ])}`,
    );
  },
};
