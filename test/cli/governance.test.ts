import { expect } from "chai";
import path from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { registerGovernanceCommand } from "../../src/cli/commands/governance";
import { loadConfig } from "../../src/config";
import { connectChain } from "../../src/gateway/connectChain";
import { FormId } from "../../src/lots/forms";
import { FormCatalogue__factory, LotRegistry__factory } from "../../typechain-types";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { freePort } from "../helpers/ports";
import { TEST_NODE_ENV } from "../helpers/testNode";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** Runs `firstmile governance ...` in-process and returns what it printed. */
async function firstmile(env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerGovernanceCommand(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

describe("firstmile governance (CLI)", function () {
  let dir: string;
  let env: Record<string, string>;

  before(async function () {
    dir = makeTempDir("cli-governance");
    await copyChainTemplate(path.join(dir, "data"));
    env = { FIRSTMILE_DATA_DIR: path.join(dir, "data"), FIRSTMILE_CHAIN_PORT: String(await freePort()), FIRSTMILE_PORT: String(await freePort()), FIRSTMILE_LOG_LEVEL: "silent", ...TEST_NODE_ENV };
  });
  after(() => removeTempDir(dir));

  it("proposes a catalogue change, lists it pending, executes it, and the chain holds the new bounds", async function () {
    const proposed = await firstmile(env, dir, "governance", "propose", "--target", "forms", "--function", "setYieldBounds", "--args", `[${FormId.wetBeans}, ${FormId.dryBeans}, 3400, 4200]`);
    const id = /proposed forms\.setYieldBounds\(1, 2, 3400, 4200\) as (0x[0-9a-f]{64}) \(transaction 0x[0-9a-f]{64}\)/.exec(proposed)?.[1];
    expect(id, proposed).to.be.a("string");
    expect(proposed).to.contain("pending").and.contain("approvals 1 of 1 needed");

    const listed = await firstmile(env, dir, "governance", "list");
    expect(listed).to.contain(`${id}  pending  forms.setYieldBounds(1, 2, 3400, 4200)`);

    expect(await firstmile(env, dir, "governance", "execute", id!)).to.match(/^executed forms\.setYieldBounds\(1, 2, 3400, 4200\) \(transaction 0x[0-9a-f]{64}\)$/m);
    expect(await firstmile(env, dir, "governance", "show", id!)).to.contain(`${id}  executed`);

    const chain = await connectChain(loadConfig({ env, argv: [], cwd: dir }));
    try {
      const registry = LotRegistry__factory.connect(chain.registry, chain.provider);
      const catalogue = FormCatalogue__factory.connect(await registry.formCatalogue(), chain.provider);
      const bounds = await catalogue.getYieldBounds(FormId.wetBeans, FormId.dryBeans);
      expect([bounds.minBps, bounds.maxBps]).to.deep.equal([3_400n, 4_200n]);
    } finally {
      await chain.stop();
    }
  });

  it("refuses an unknown target, an unknown function, arguments that do not fit and an unknown proposal, sending nothing", async function () {
    const refusal = (...args: string[]) => firstmile(env, dir, "governance", ...args).then(() => null, (error: Error) => error.message);
    expect(await refusal("propose", "--target", "bank", "--function", "setYieldBounds")).to.match(/unknown target "bank": use lots, forms, attestations, governance/);
    expect(await refusal("propose", "--target", "lots", "--function", "mintEverything")).to.match(/lots has no function "mintEverything"/);
    expect(await refusal("propose", "--target", "forms", "--function", "setYieldBounds", "--args", "[1, 2]")).to.match(/arguments do not fit setYieldBounds/);
    expect(await refusal("propose", "--target", "forms", "--function", "setYieldBounds", "--args", "not json")).to.match(/--args must be a JSON array/);
    expect(await refusal("execute", `0x${"ab".repeat(32)}`)).to.match(/no proposal 0xabab/);
    expect(await refusal("approve", "0x1234")).to.match(/not a proposal id/);
    expect(await firstmile(env, dir, "governance", "list")).to.match(/^0x[0-9a-f]{64} {2}executed/m);
    expect((await firstmile(env, dir, "governance", "list")).match(/^0x/gm)).to.have.length(1);
  });
});
