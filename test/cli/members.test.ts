import { expect } from "chai";
import path from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { Wallet } from "ethers";
import { registerMembersCommand } from "../../src/cli/commands/members";
import { openPglite } from "../../src/db/pglite";
import { connectProvider } from "../../src/chain/provider";
import { LotRegistry__factory } from "../../typechain-types";
import { client, delivery, startTestGateway } from "../gateway/helpers";
import { copyChainTemplate } from "../helpers/chainTemplate";
import { copyMigratedPglite } from "../helpers/engines";
import { freePort } from "../helpers/ports";
import { TEST_NODE_ENV } from "../helpers/testNode";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** Runs `firstmile members ...` in-process and returns what it printed. */
async function firstmile(env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerMembersCommand(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

const tokenIn = (text: string) => /(fm_[A-Za-z0-9_-]{43})/.exec(text)?.[1];

describe("firstmile members (CLI)", function () {
  let dir: string;
  let env: Record<string, string>;

  before(async function () {
    dir = makeTempDir("cli-members");
    await copyMigratedPglite(path.join(dir, "data", "pgdata"));
    await copyChainTemplate(path.join(dir, "data"));
    env = { FIRSTMILE_DATA_DIR: path.join(dir, "data"), FIRSTMILE_CHAIN_PORT: String(await freePort()), FIRSTMILE_PORT: String(await freePort()), FIRSTMILE_LOG_LEVEL: "silent", ...TEST_NODE_ENV };
  });
  after(() => removeTempDir(dir));

  it("adds and lists members with no gateway running, then works through the running gateway, whose API honours the tokens", async function () {
    // Offline: the command starts the embedded chain itself, for its own duration.
    const added = await firstmile(env, dir, "members", "add", "--roles", "cooperative", "--country", "ID", "--custodial", "2", "--label", "field office");
    expect(added).to.match(/^member 2 added \(cooperative, ID\); transaction 0x[0-9a-f]{64}$/m);
    expect(added.match(/custodial \(key in the gateway's keystore\)/g)).to.have.length(2);
    const offlineToken = tokenIn(added);
    expect(offlineToken).to.be.a("string");
    const phone = "0x8ba1f109551bD432803012645Ac136ddd64DBA72";
    const selfCustody = await firstmile(env, dir, "members", "add", "--roles", "cooperative,processor", "--country", "TH", "--account", phone, "--no-token");
    expect(selfCustody).to.contain(`account ${phone} self-custody`);
    expect(tokenIn(selfCustody)).to.equal(undefined);
    const list = await firstmile(env, dir, "members", "list");
    expect(list).to.match(/member 1 {2}active {5}ID {2}governor {2}tokens 0/);
    expect(list).to.match(/member 2 {2}active {5}ID {2}cooperative {2}tokens 1/);
    expect(list).to.match(/member 3 {2}active {5}TH {2}cooperative,processor {2}tokens 0/);
    expect(list).to.contain(`${phone}  own key    active`);
    const refused = await firstmile(env, dir, "members", "add", "--roles", "farmer", "--country", "ID").then(() => null, (error: Error) => error);
    expect(refused?.message).to.match(/unknown role "farmer"/);

    // Online: the gateway holds the database; the commands go through its control socket.
    const running = await startTestGateway(env.FIRSTMILE_DATA_DIR!, env);
    try {
      const api = client(running.gateway.url, offlineToken);
      expect((await api.post("/v1/lots/mint", delivery(1_000), { "idempotency-key": "cli-1" })).status).to.equal(202);
      expect((await api.get("/v1/members/me")).body.custodialAccounts).to.have.length(2);

      const second = tokenIn(await firstmile(env, dir, "members", "token", "2", "--label", "second phone"));
      expect(second).to.be.a("string").and.not.equal(offlineToken);
      expect((await client(running.gateway.url, second).get("/v1/members/me")).body.memberId).to.equal("2");

      const suspended = await firstmile(env, dir, "members", "suspend", "2");
      expect(suspended).to.match(/^member 2 suspended \(transaction 0x[0-9a-f]{64}\); 2 API token\(s\) revoked$/m);
      expect((await api.get("/v1/members/me")).status).to.equal(401);
      const provider = connectProvider(running.gateway.chain.url, Number(running.gateway.chain.chainId));
      const registry = LotRegistry__factory.connect(running.gateway.chain.deployments.contracts.LotRegistry!.address, provider);
      expect((await registry.getMember(2n))[0].active).to.equal(false);
      provider.destroy();
      const listed = await firstmile(env, dir, "members", "list");
      expect(listed).to.match(/member 2 {2}suspended {2}ID {2}cooperative {2}tokens 0/);
      // A suspended member's accounts cannot act: none is listed as active.
      const accountLines = listed.split("member 2 ")[1]!.split(/\nmember /)[0]!.split("\n").slice(1).filter((line) => line.startsWith("  0x"));
      expect(accountLines).to.have.length(2);
      for (const line of accountLines) expect(line).to.match(/ suspended \(member\)$/);
    } finally {
      await running.gateway.stop();
    }
  });

  it("leaves no custodial key behind when the chain refuses a member before anything is sent", async function () {
    const custodialKeys = async () => {
      const db = await openPglite({ dir: path.join(env.FIRSTMILE_DATA_DIR!, "pgdata") });
      try {
        return (await db.query<{ address: string }>("select address from custodial_keys order by address")).rows.map((row) => row.address);
      } finally {
        await db.close();
      }
    };
    const phone = Wallet.createRandom().address;
    const first = await firstmile(env, dir, "members", "add", "--roles", "cooperative", "--country", "MY", "--account", phone, "--no-token");
    const memberId = /^member (\d+) added/m.exec(first)?.[1];
    expect(memberId).to.be.a("string");
    const keysBefore = await custodialKeys();

    // The phone's account belongs to a member already: the simulation refuses, no transaction is sent.
    const refused = await firstmile(env, dir, "members", "add", "--roles", "cooperative", "--country", "MY", "--account", phone, "--custodial", "2").then(
      () => null,
      (error: Error) => error,
    );
    expect(refused?.message).to.contain("The chain refused to add the member").and.contain(`MembershipAccountTaken(account=${phone}, memberId=${memberId})`);
    expect(await custodialKeys()).to.deep.equal(keysBefore);
    expect(await firstmile(env, dir, "members", "list")).not.to.match(new RegExp(`^member ${Number(memberId) + 1} `, "m"));
  });
});
