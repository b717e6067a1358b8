import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Wallet, decodeRlp, getAddress } from "ethers";
import { parse as parseYaml } from "yaml";
import {
  BesuConfigError,
  IMAGES,
  QBFT_MIX_HASH,
  decodeQbftExtraData,
  nodePublicKey,
  predictLotRegistryAddress,
  qbftExtraData,
  writeBesuNetwork,
} from "../../deploy/networks/besu-qbft";
import { registerNetworkCommand } from "../../src/cli/commands/network";
import { Command } from "commander";
import { captureStreams } from "../helpers/capture";
import { parseFlatToml } from "../helpers/toml";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

describe("Besu QBFT network generator (deploy/networks/besu-qbft)", function () {
  let dir: string;
  const validators = Array.from({ length: 4 }, () => Wallet.createRandom());
  const governors = [Wallet.createRandom().address, Wallet.createRandom().address];

  before(() => {
    dir = makeTempDir("besu-qbft");
  });
  after(() => removeTempDir(dir));

  it("encodes extraData as Besu's QBFT RLP list, which decodes back to the validators", function () {
    const addresses = validators.map((v) => v.address);
    const extraData = qbftExtraData(addresses);
    const raw = decodeRlp(extraData) as unknown[];
    expect(raw).to.have.length(5);
    expect(raw[0]).to.equal(`0x${"00".repeat(32)}`);
    expect((raw[1] as string[]).map((a) => getAddress(a))).to.deep.equal(addresses);
    expect(raw[2], "no vote: an empty list").to.deep.equal([]);
    expect(raw[3], "round 0: the empty byte string").to.equal("0x");
    expect(raw[4], "no seals in the genesis").to.deep.equal([]);
    expect(decodeQbftExtraData(extraData).validators).to.deep.equal(addresses);
    // Four validators: 0xf87a and the vanity, as in Besu's documented QBFT genesis.
    expect(extraData.slice(0, 8)).to.equal("0xf87aa0");
    expect(extraData.endsWith("c080c0")).to.equal(true);
  });

  it("writes a genesis with QBFT, cancun from genesis, zero base fee and the settings asked for", function () {
    const out = path.join(dir, "net");
    const written = writeBesuNetwork(out, {
      validators: validators.map((v) => nodePublicKey(v.privateKey)),
      governors,
      organisations: ["coop", "exporter"],
      chainId: 424242,
      blockPeriodSeconds: 2,
      gasLimit: 100_000_000n,
    });
    expect(written.files.sort()).to.deep.equal(["compose.yaml", "genesis.json", "rpc-coop.toml", "rpc-exporter.toml", "validator-1.toml", "validator-2.toml", "validator-3.toml", "validator-4.toml"]);
    const genesis = JSON.parse(fs.readFileSync(path.join(out, "genesis.json"), "utf8"));
    expect(genesis.config).to.include({ chainId: 424242, londonBlock: 0, berlinBlock: 0, shanghaiTime: 0, cancunTime: 0, zeroBaseFee: true });
    expect(genesis.config.qbft).to.deep.include({ blockperiodseconds: 2, epochlength: 30000 });
    expect(BigInt(genesis.gasLimit)).to.equal(100_000_000n);
    expect(genesis.baseFeePerGas).to.equal("0x0");
    expect(genesis.mixHash).to.equal(QBFT_MIX_HASH);
    expect(decodeQbftExtraData(genesis.extraData).validators).to.deep.equal(validators.map((v) => v.address));
    expect(Object.keys(genesis.alloc)).to.deep.equal(governors.map((g) => g.slice(2).toLowerCase()));
  });

  it("writes TOML per validator and per RPC node that parses, with free gas and account permissioning at the lot registry's address", function () {
    const out = path.join(dir, "net");
    const expected = predictLotRegistryAddress(governors[0]!);
    for (const name of ["validator-1", "validator-4", "rpc-coop", "rpc-exporter"]) {
      const toml = parseFlatToml(fs.readFileSync(path.join(out, `${name}.toml`), "utf8"));
      expect(toml, name).to.include({
        "min-gas-price": 0,
        "permissions-accounts-contract-enabled": true,
        "permissions-accounts-contract-address": expected,
        "genesis-file": "/config/genesis.json",
        "sync-mode": "FULL",
      });
      expect(toml.bootnodes, name).to.deep.equal([
        `enode://${nodePublicKey(validators[0]!.privateKey).slice(2)}@validator-1:30303`,
        `enode://${nodePublicKey(validators[1]!.privateKey).slice(2)}@validator-2:30303`,
      ]);
    }
    expect(parseFlatToml(fs.readFileSync(path.join(out, "validator-1.toml"), "utf8"))["rpc-http-api"]).to.include("QBFT");
    const rpc = parseFlatToml(fs.readFileSync(path.join(out, "rpc-coop.toml"), "utf8"));
    expect(rpc["rpc-http-api"]).to.deep.equal(["ETH", "NET", "WEB3", "TXPOOL"]);
    expect(rpc["host-allowlist"]).to.include("gateway-coop");
  });

  it("writes a compose file with 4 validators and, per organisation, an RPC node, Kubo, PostgreSQL and the gateway, every image pinned", function () {
    const compose = parseYaml(fs.readFileSync(path.join(dir, "net", "compose.yaml"), "utf8")) as { services: Record<string, { image: string; environment?: Record<string, string> }> };
    const names = Object.keys(compose.services).sort();
    expect(names).to.deep.equal(
      ["validator-1", "validator-2", "validator-3", "validator-4", "rpc-coop", "kubo-coop", "postgres-coop", "gateway-coop", "rpc-exporter", "kubo-exporter", "postgres-exporter", "gateway-exporter"].sort(),
    );
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image, name).to.match(/:[0-9v][0-9A-Za-z.-]*$/);
      expect(service.image, name).to.not.match(/:latest$/);
      expect(Object.values(IMAGES)).to.include(service.image);
    }
    expect((compose.services["gateway-exporter"] as unknown as { volumes: string[] }).volumes).to.include("${FIRSTMILE_SOURCE:?set FIRSTMILE_SOURCE to the firstmile checkout}:/app:ro");
    expect(compose.services["gateway-exporter"]!.environment).to.include({ FIRSTMILE_PROFILE: "production", FIRSTMILE_RPC_URL: "http://rpc-exporter:8545", FIRSTMILE_KUBO_URL: "http://kubo-exporter:5001", FIRSTMILE_CHAIN_ID: "424242" });
  });

  it("refuses fewer than 4 validators, a duplicate, and validators without a public key to find each other by", function () {
    const base = { governors, organisations: ["coop"], chainId: 1, blockPeriodSeconds: 1, gasLimit: 1n };
    expect(() => writeBesuNetwork(path.join(dir, "x"), { ...base, validators: validators.slice(0, 3).map((v) => v.address) })).to.throw(BesuConfigError, "at least 4 validators");
    expect(() => writeBesuNetwork(path.join(dir, "x"), { ...base, validators: [validators[0]!.address, validators[0]!.address, validators[1]!.address, validators[2]!.address] })).to.throw(BesuConfigError, "listed twice");
    expect(() => writeBesuNetwork(path.join(dir, "x"), { ...base, validators: validators.map((v) => v.address) })).to.throw(BesuConfigError, "node public key");
  });

  it("is what `firstmile network besu-config` writes", async function () {
    const { stdout, text } = captureStreams();
    const program = new Command("firstmile").exitOverride();
    registerNetworkCommand(program, { env: {}, cwd: dir, stdout });
    const keys = validators.map((v) => nodePublicKey(v.privateKey));
    await program.parseAsync(["node", "firstmile", "network", "besu-config", "--validators", keys.join(","), "--governors", governors.join(","), "--out", "cli", "--block-period", "5"]);
    expect(text().out).to.contain(`account permissioning contract (the lot registry): ${predictLotRegistryAddress(governors[0]!)}`);
    const genesis = JSON.parse(fs.readFileSync(path.join(dir, "cli", "genesis.json"), "utf8"));
    expect(genesis.config.qbft.blockperiodseconds).to.equal(5);
    expect(genesis.config.chainId).to.equal(424242);
  });
});
