import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from "ethers";
import { DEVELOPMENT_ACCOUNTS, GovernorKeyError, describeGovernorKeySource, governorSigner, parseGovernorKeySource, refuseDevelopmentAccount } from "../../src/chain/governorKey";
import { deploymentsFileOf } from "../../src/cli/commands/network";
import { ConfigError, describeConfig, loadConfig } from "../../src/config";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

describe("governor key sources (env:, file:, rpc:)", function () {
  let dir: string;
  const key = Wallet.createRandom();
  // No node is asked: a key from the environment or a file signs locally.
  const offline = new JsonRpcProvider("http://127.0.0.1:9", 424242, { staticNetwork: true });

  before(() => {
    dir = makeTempDir("governor-key");
  });
  after(() => {
    offline.destroy();
    removeTempDir(dir);
  });

  it("reads env:NAME at once, and never shows the key", async function () {
    const source = parseGovernorKeySource("env:GOV", { GOV: key.privateKey }, dir);
    expect(describeGovernorKeySource(source)).to.equal("env:GOV");
    expect(JSON.stringify(source)).to.not.contain(key.privateKey.slice(2));
    expect(await (await governorSigner(source, offline, 424242n)).getAddress()).to.equal(key.address);
    expect(() => parseGovernorKeySource("env:MISSING", {}, dir)).to.throw(GovernorKeyError, "MISSING named by the governor key source is not set");
    expect(() => parseGovernorKeySource("env:GOV", { GOV: "0x1234" }, dir)).to.throw(GovernorKeyError, "does not hold a private key");
  });

  it("reads file: only when its owner alone may read it, resolving a relative path", async function () {
    fs.writeFileSync(path.join(dir, "gov.key"), `${key.privateKey.slice(2)}\n`, { mode: 0o600 });
    const source = parseGovernorKeySource("file:gov.key", {}, dir);
    expect(source).to.deep.equal({ kind: "file", file: path.join(dir, "gov.key") });
    expect(await (await governorSigner(source, offline, 424242n)).getAddress()).to.equal(key.address);
    fs.chmodSync(path.join(dir, "gov.key"), 0o640);
    const loose = await governorSigner(source, offline, 424242n).then(() => null, (error: Error) => error);
    expect(loose?.message).to.contain("mode 640");
    const missing = await governorSigner(parseGovernorKeySource("file:none.key", {}, dir), offline, 424242n).then(() => null, (error: Error) => error);
    expect(missing?.message).to.contain("ENOENT");
  });

  it("takes rpc:<url> with an optional #account, and refuses other forms", function () {
    expect(parseGovernorKeySource(`rpc:http://127.0.0.1:8550#${key.address.toLowerCase()}`, {}, dir)).to.deep.equal({ kind: "rpc", url: "http://127.0.0.1:8550", account: key.address });
    expect(describeGovernorKeySource(parseGovernorKeySource("rpc:https://ops:s3cret@signer.example:8550", {}, dir))).to.not.contain("s3cret");
    expect(() => parseGovernorKeySource("rpc:ftp://x", {}, dir)).to.throw(GovernorKeyError, "http or https");
    expect(() => parseGovernorKeySource(key.privateKey, {}, dir)).to.throw(GovernorKeyError, "env:NAME, file:/path or rpc:<url>");
  });

  it("refuses the public development accounts on every chain but 31337", function () {
    // The list is the public mnemonic's first ten accounts, as anvil and Hardhat fund them.
    const mnemonic = Mnemonic.fromPhrase("test test test test test test test test test test test junk");
    expect(DEVELOPMENT_ACCOUNTS).to.deep.equal(Array.from({ length: 10 }, (_, i) => HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).address));
    for (const account of DEVELOPMENT_ACCOUNTS) {
      expect(() => refuseDevelopmentAccount(account, 424242n)).to.throw(GovernorKeyError, "public development account");
      expect(() => refuseDevelopmentAccount(account.toLowerCase(), 1n)).to.throw(GovernorKeyError);
      expect(() => refuseDevelopmentAccount(account, 31337n)).to.not.throw();
    }
    expect(() => refuseDevelopmentAccount(key.address, 424242n)).to.not.throw();
  });

  it("is the FIRSTMILE_GOVERNOR_KEY setting: parsed by loadConfig, named in the banner, a bad one listed with the other issues", function () {
    const config = loadConfig({ env: { FIRSTMILE_GOVERNOR_KEY: "env:GOV", GOV: key.privateKey, FIRSTMILE_DATA_DIR: dir }, cwd: dir, readFile: () => null });
    expect(config.governorKey?.kind).to.equal("env");
    const banner = describeConfig(config);
    expect(banner).to.contain("governor  env:GOV");
    expect(banner).to.not.contain(key.privateKey.slice(2));
    expect(() => loadConfig({ env: { FIRSTMILE_GOVERNOR_KEY: "env:GOV" }, cwd: dir, readFile: () => null })).to.throw(ConfigError, "GOV named by the governor key source is not set");
    // From a config file, a relative file: path is the file's neighbour.
    const fromFile = loadConfig({ env: { FIRSTMILE_CONFIG: "/etc/firstmile/config.json" }, cwd: dir, readFile: () => JSON.stringify({ governor: { key: "file:governor.key" } }) });
    expect(fromFile.governorKey).to.deep.equal({ kind: "file", file: "/etc/firstmile/governor.key" });
    expect(() => loadConfig({ env: { FIRSTMILE_GOVERNOR_KEY: key.privateKey }, cwd: dir, readFile: () => null })).to.throw(ConfigError, "expected env:NAME, file:/path or rpc:<url>");
  });

  it("network deploy writes the deployments file where a production gateway on the same settings reads it", function () {
    const production = { FIRSTMILE_PROFILE: "production", FIRSTMILE_RPC_URL: "http://127.0.0.1:9", FIRSTMILE_DATABASE_URL: "postgres://x@127.0.0.1/x", FIRSTMILE_KUBO_URL: "http://127.0.0.1:5001", FIRSTMILE_KEYSTORE_PASSPHRASE: "a long enough passphrase" };
    for (const env of [{ FIRSTMILE_DATA_DIR: "ops/data" }, { FIRSTMILE_DEPLOYMENTS_FILE: "ops/deployments.json" }, {}]) {
      const config = loadConfig({ env: { ...production, ...env }, cwd: dir, readFile: () => null });
      expect(deploymentsFileOf({ env, cwd: dir }, {})).to.equal(config.paths.deploymentsFile);
    }
    expect(deploymentsFileOf({ env: {}, cwd: dir }, { out: "x.json" })).to.equal(path.join(dir, "x.json"));
  });
});
