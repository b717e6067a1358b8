import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { composeYaml } from "../../deploy/networks/besu-qbft";
import { GATEWAY_NODE_FLAGS } from "../../src/config";

/** The gateway's V8 flags reach it however it is started (src/config/nodeFlags.ts says why). */
describe("the gateway's node flags", () => {
  const scripts = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

  it("are flags this Node accepts (a misspelt one stops node before it runs anything)", () => {
    expect(GATEWAY_NODE_FLAGS).to.not.be.empty;
    const run = spawnSync(process.execPath, [...GATEWAY_NODE_FLAGS, "-e", "process.stdout.write('ok')"], { encoding: "utf8" });
    expect(run.stderr).to.equal("");
    expect(run.stdout).to.equal("ok");
    const misspelt = spawnSync(process.execPath, ["--max-semi-space-sise=64", "-e", "0"], { encoding: "utf8" });
    expect(misspelt.status).to.not.equal(0);
  });

  for (const name of ["start", "firstmile", "demo:network", "bench:indexer", "bench:page", "bench:field"]) {
    it(`npm run ${name} passes them to the node that runs the TypeScript`, () => {
      const command = scripts[name]!.split("&&").map((part) => part.trim()).find((part) => part.includes("register-ts.js"));
      expect(command, name).to.be.a("string");
      const flags = command!.split(/\s+/).slice(1, command!.split(/\s+/).indexOf("-r"));
      for (const flag of GATEWAY_NODE_FLAGS) expect(flags, `${name}: ${command}`).to.include(flag);
    });
  }

  it("the production compose file runs each organisation's gateway with them", () => {
    const yaml = composeYaml(1, ["coop"], 2026);
    const command = /gateway-coop:[\s\S]*?command: (\[.*\])/.exec(yaml);
    expect(command, yaml).to.not.equal(null);
    const args = JSON.parse(command![1]!) as string[];
    expect(args.slice(0, 1 + GATEWAY_NODE_FLAGS.length)).to.deep.equal(["node", ...GATEWAY_NODE_FLAGS]);
    expect(args.slice(-2)).to.deep.equal(["src/cli/index.ts", "start"]);
  });
});
