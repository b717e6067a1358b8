import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { ConfigError, describeConfig, loadConfig, redactConfig, redactUrl, type Config } from "../../src/config";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

const PASSPHRASE = "correct horse battery staple";
const PRODUCTION_ENV = {
  FIRSTMILE_PROFILE: "production",
  FIRSTMILE_RPC_URL: "https://besu.example.org:8545",
  FIRSTMILE_DATABASE_URL: "postgres://app:s3cr3t-db-pw@db.example.org:5432/firstmile",
  FIRSTMILE_KUBO_URL: "http://kubo.example.org:5001",
  FIRSTMILE_KEYSTORE_PASSPHRASE: PASSPHRASE,
};

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  let cwd: string;
  beforeEach(() => {
    cwd = makeTempDir("config");
  });
  afterEach(() => removeTempDir(cwd));

  describe("with nothing set", () => {
    it("is the embedded profile with every store under ./.firstmile", () => {
      const config = loadConfig({ env: {}, cwd });
      const dataDir = path.join(cwd, ".firstmile");
      expect(config.profile).to.equal("embedded");
      expect(config.dataDir).to.equal(dataDir);
      expect(config.configFile).to.equal(null);
      expect(config.http).to.deep.equal({ host: "127.0.0.1", port: 8080 });
      expect(config.chain).to.deep.equal({
        rpcUrl: "http://127.0.0.1:8545",
        chainId: 31337,
        node: { host: "127.0.0.1", port: 8545, chainId: 31337, stateFile: path.join(dataDir, "chain", "state.json") },
      });
      expect(config.database).to.deep.equal({ engine: "pglite", dir: path.join(dataDir, "pgdata"), thread: "worker" });
      expect(config.ipfs).to.deep.equal({ mode: "embedded", blockstoreDir: path.join(dataDir, "evidence") });
      expect(config.keystore).to.deep.equal({ source: "keyFile", keyFile: path.join(dataDir, "keystore.key"), create: true });
      expect(config.relay).to.deep.equal({ batchSize: 50, pollIntervalMs: 1000, maxAttempts: 10, staleLockMs: 300000 });
      expect(config.evidence.maxBytes).to.equal(10 * 1024 * 1024);
      expect(config.log.level).to.equal("info");
      expect(config.warnings).to.deep.equal([]);
    });

    it("reads only the env it is given, never process.env", () => {
      process.env.FIRSTMILE_PORT = "1234";
      process.env.FIRSTMILE_BOGUS = "x";
      try {
        expect(loadConfig({ env: {}, cwd }).http.port).to.equal(8080);
      } finally {
        delete process.env.FIRSTMILE_PORT;
        delete process.env.FIRSTMILE_BOGUS;
      }
    });
  });

  describe("precedence", () => {
    it("takes the file over defaults, env over the file, and flags over env", () => {
      const file = path.join(cwd, "gateway.json");
      fs.writeFileSync(file, JSON.stringify({ http: { port: 9001, host: "0.0.0.0" }, relay: { batchSize: 20 }, log: { level: "debug" } }));
      const config = loadConfig({
        env: { FIRSTMILE_CONFIG: file, FIRSTMILE_PORT: "9002", FIRSTMILE_RELAY_BATCH_SIZE: "30" },
        argv: ["--port", "9003"],
        cwd,
      });
      expect(config.configFile).to.equal(file);
      expect(config.http).to.deep.equal({ host: "0.0.0.0", port: 9003 });
      expect(config.relay.batchSize).to.equal(30);
      expect(config.log.level).to.equal("debug");
      expect(config.sources).to.include({ FIRSTMILE_PORT: "argv", FIRSTMILE_HOST: "file", FIRSTMILE_RELAY_BATCH_SIZE: "env", FIRSTMILE_LOG_LEVEL: "file", FIRSTMILE_PROFILE: "default" });
    });

    it("reads <dataDir>/config.json when present", () => {
      const dataDir = path.join(cwd, "node-a");
      fs.mkdirSync(dataDir);
      fs.writeFileSync(path.join(dataDir, "config.json"), JSON.stringify({ evidence: { maxBytes: 2048 } }));
      const config = loadConfig({ env: { FIRSTMILE_DATA_DIR: "node-a" }, cwd });
      expect(config.configFile).to.equal(path.join(dataDir, "config.json"));
      expect(config.evidence.maxBytes).to.equal(2048);
    });

    it("resolves relative paths in the file against the file's folder, and from env against cwd", () => {
      const etc = path.join(cwd, "etc");
      fs.mkdirSync(etc);
      fs.writeFileSync(path.join(etc, "firstmile.json"), JSON.stringify({ dataDir: "../var/fm", keystore: { keyFile: "kek.hex" } }));
      const fromFile = loadConfig({ env: { FIRSTMILE_CONFIG: "etc/firstmile.json" }, cwd });
      expect(fromFile.dataDir).to.equal(path.join(cwd, "var", "fm"));
      expect(fromFile.keystore).to.deep.equal({ source: "keyFile", keyFile: path.join(etc, "kek.hex"), create: false });
      const fromEnv = loadConfig({ env: { FIRSTMILE_DATA_DIR: "x/y" }, argv: ["--keystore-key-file=k.hex"], cwd });
      expect(fromEnv.dataDir).to.equal(path.join(cwd, "x", "y"));
      expect(fromEnv.keystore).to.deep.include({ keyFile: path.join(cwd, "k.hex"), create: false });
    });

    it("runs PGlite on the gateway's main thread when asked to", () => {
      const config = loadConfig({ env: { FIRSTMILE_DATABASE_THREAD: "main" }, cwd });
      expect(config.database).to.deep.equal({ engine: "pglite", dir: path.join(cwd, ".firstmile", "pgdata"), thread: "main" });
    });

    it("treats an empty environment variable as unset", () => {
      expect(loadConfig({ env: { FIRSTMILE_PORT: "" }, cwd }).http.port).to.equal(8080);
    });
  });

  describe("unknown keys and bad values", () => {
    it("names an unknown FIRSTMILE_ variable and suggests the near one", () => {
      const error = configError(() => loadConfig({ env: { FIRSTMILE_PROT: "80", HOME: "/root" }, cwd }));
      expect(error.key).to.equal("FIRSTMILE_PROT");
      expect(error.message).to.contain("FIRSTMILE_PROT (environment): unknown setting (did you mean FIRSTMILE_PORT?)");
    });

    it("names an unknown key in the config file, with the file", () => {
      const file = path.join(cwd, "c.json");
      fs.writeFileSync(file, JSON.stringify({ http: { prot: 1 }, colour: "red" }));
      const error = configError(() => loadConfig({ env: { FIRSTMILE_CONFIG: file }, cwd }));
      expect(error.issues.map((issue) => issue.key)).to.deep.equal(["http.prot", "colour"]);
      expect(error.message).to.contain(`http.prot (in ${file}): unknown key (did you mean http.port?)`);
    });

    it("names an unknown flag", () => {
      const error = configError(() => loadConfig({ env: {}, argv: ["--prot", "9"], cwd }));
      expect(error.message).to.contain("--prot (command line): unknown flag (did you mean --port?)");
    });

    for (const [name, value, expected] of [
      ["FIRSTMILE_PORT", "abc", 'expected an integer, got "abc"'],
      ["FIRSTMILE_PORT", "70000", "expected a port 1-65535"],
      ["FIRSTMILE_PROFILE", "staging", "expected one of embedded, production"],
      ["FIRSTMILE_DATABASE_URL", "mysql://db/x", "expected a postgres or postgresql URL"],
      ["FIRSTMILE_RELAY_BATCH_SIZE", "0", "expected at least 1"],
      ["FIRSTMILE_LOG_LEVEL", "loud", "expected one of fatal, error, warn, info, debug, trace, silent"],
      ["FIRSTMILE_DATABASE_THREAD", "both", "expected one of worker, main"],
    ] as const) {
      it(`refuses ${name}=${value}`, () => {
        const error = configError(() => loadConfig({ env: { [name]: value }, cwd }));
        expect(error.key).to.equal(name);
        expect(error.message).to.contain(`${name} (environment): ${expected}`);
      });
    }

    it("refuses a wrongly typed value in the file", () => {
      const file = path.join(cwd, "c.json");
      fs.writeFileSync(file, JSON.stringify({ http: { port: "8080" } }));
      const error = configError(() => loadConfig({ env: { FIRSTMILE_CONFIG: file }, cwd }));
      expect(error.key).to.equal("http.port");
    });

    it("lists every problem at once", () => {
      const error = configError(() => loadConfig({ env: { FIRSTMILE_PORT: "x", FIRSTMILE_CHAIN_PORT: "y", FIRSTMILE_NOPE: "1" }, cwd }));
      expect(error.issues.map((issue) => issue.key).sort()).to.deep.equal(["FIRSTMILE_CHAIN_PORT", "FIRSTMILE_NOPE", "FIRSTMILE_PORT"]);
    });

    it("refuses a missing explicit config file and a file that is not JSON", () => {
      expect(configError(() => loadConfig({ env: { FIRSTMILE_CONFIG: "nope.json" }, cwd })).message).to.contain("FIRSTMILE_CONFIG (environment): config file");
      const file = path.join(cwd, "bad.json");
      fs.writeFileSync(file, "{ port: 1 ");
      expect(configError(() => loadConfig({ env: { FIRSTMILE_CONFIG: file }, cwd })).message).to.contain("not valid JSON");
    });

    it("refuses a passphrase in the file or on the command line, and never echoes it", () => {
      const file = path.join(cwd, "c.json");
      fs.writeFileSync(file, JSON.stringify({ keystore: { passphrase: PASSPHRASE } }));
      const inFile = configError(() => loadConfig({ env: { FIRSTMILE_CONFIG: file }, cwd }));
      expect(inFile.key).to.equal("keystore.passphrase");
      const onArgv = configError(() => loadConfig({ env: {}, argv: ["--keystore-passphrase", PASSPHRASE], cwd }));
      expect(onArgv.key).to.equal("--keystore-passphrase");
      const tooShort = configError(() => loadConfig({ env: { FIRSTMILE_KEYSTORE_PASSPHRASE: "short-pw" }, cwd }));
      for (const error of [inFile, onArgv, tooShort]) {
        expect(error.message).not.to.contain(PASSPHRASE);
        expect(error.message).not.to.contain("short-pw");
      }
    });

    it("masks a password or token in a refused URL it echoes", () => {
      const error = configError(() =>
        loadConfig({ env: { FIRSTMILE_DATABASE_URL: "mysql://app:s3cr3t-db-pw@db/x", FIRSTMILE_RPC_URL: "ftp://node.example.org/?token=rpc-tok-9" }, cwd }),
      );
      expect(error.issues.map((issue) => issue.key).sort()).to.deep.equal(["FIRSTMILE_DATABASE_URL", "FIRSTMILE_RPC_URL"]);
      expect(error.message).to.contain('got "mysql://app:[redacted]@db/x"');
      expect(error.message).not.to.contain("s3cr3t-db-pw");
      expect(error.message).not.to.contain("rpc-tok-9");
    });

    it("refuses both a passphrase and a key file", () => {
      const error = configError(() => loadConfig({ env: { FIRSTMILE_KEYSTORE_PASSPHRASE: PASSPHRASE, FIRSTMILE_KEYSTORE_KEY_FILE: "k" }, cwd }));
      expect(error.message).to.contain("not both");
    });

    it("refuses a Kubo URL while IPFS is explicitly embedded, and kubo without a URL", () => {
      expect(configError(() => loadConfig({ env: { FIRSTMILE_IPFS: "embedded", FIRSTMILE_KUBO_URL: "http://127.0.0.1:5001" }, cwd })).key).to.equal("FIRSTMILE_KUBO_URL");
      expect(configError(() => loadConfig({ env: { FIRSTMILE_IPFS: "kubo" }, cwd })).key).to.equal("FIRSTMILE_KUBO_URL");
      expect(loadConfig({ env: { FIRSTMILE_KUBO_URL: "http://127.0.0.1:5001" }, cwd }).ipfs).to.deep.equal({ mode: "kubo", kuboUrl: "http://127.0.0.1:5001" });
    });
  });

  describe("production profile", () => {
    it("requires the chain, database, Kubo and keystore settings, naming each", () => {
      const error = configError(() => loadConfig({ env: { FIRSTMILE_PROFILE: "production" }, cwd }));
      expect(error.issues.map((issue) => issue.key)).to.have.members([
        "FIRSTMILE_RPC_URL",
        "FIRSTMILE_DATABASE_URL",
        "FIRSTMILE_KUBO_URL",
        "FIRSTMILE_KEYSTORE_PASSPHRASE",
      ]);
      expect(error.message).to.contain("there is no default secret");
    });

    it("refuses the embedded blockstore", () => {
      const error = configError(() => loadConfig({ env: { ...PRODUCTION_ENV, FIRSTMILE_IPFS: "embedded" }, cwd }));
      expect(error.key).to.equal("FIRSTMILE_IPFS");
    });

    it("never generates a key file", () => {
      const { FIRSTMILE_KEYSTORE_PASSPHRASE: _, ...withoutSecret } = PRODUCTION_ENV;
      expect(configError(() => loadConfig({ env: withoutSecret, cwd })).key).to.equal("FIRSTMILE_KEYSTORE_PASSPHRASE");
      const config = loadConfig({ env: { ...withoutSecret, FIRSTMILE_KEYSTORE_KEY_FILE: "/run/secrets/kek" }, cwd });
      expect(config.keystore).to.deep.equal({ source: "keyFile", keyFile: "/run/secrets/kek", create: false });
    });

    it("refuses a key file inside the data dir: the key-encryption key must not sit beside the keys it protects", () => {
      const { FIRSTMILE_KEYSTORE_PASSPHRASE: _, ...withoutSecret } = PRODUCTION_ENV;
      const dataDir = path.join(cwd, "data");
      for (const keyFile of [path.join(dataDir, "keystore.key"), path.join(dataDir, "secrets", "kek"), "data/kek"]) {
        const error = configError(() => loadConfig({ env: { ...withoutSecret, FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_KEYSTORE_KEY_FILE: keyFile }, cwd }));
        expect(error.key, keyFile).to.equal("FIRSTMILE_KEYSTORE_KEY_FILE");
        expect(error.message).to.include("outside the data dir");
      }
      // Beside the data dir, not in it, is fine (as is a secret mount such as /run/secrets).
      const beside = loadConfig({ env: { ...withoutSecret, FIRSTMILE_DATA_DIR: dataDir, FIRSTMILE_KEYSTORE_KEY_FILE: path.join(cwd, "data-kek") }, cwd });
      expect(beside.keystore).to.deep.include({ keyFile: path.join(cwd, "data-kek") });
    });

    it("uses the Besu network, PostgreSQL and Kubo when given", () => {
      const config = loadConfig({ env: PRODUCTION_ENV, cwd });
      expect(config.profile).to.equal("production");
      expect(config.chain).to.deep.equal({ rpcUrl: PRODUCTION_ENV.FIRSTMILE_RPC_URL, chainId: null, node: null });
      expect(config.database).to.deep.equal({ engine: "postgres", url: PRODUCTION_ENV.FIRSTMILE_DATABASE_URL });
      expect(config.ipfs).to.deep.equal({ mode: "kubo", kuboUrl: PRODUCTION_ENV.FIRSTMILE_KUBO_URL });
      expect(config.keystore.source).to.equal("passphrase");
    });
  });

  describe("printing", () => {
    let config: Config;
    beforeEach(() => {
      config = loadConfig({ env: { ...PRODUCTION_ENV, FIRSTMILE_KUBO_URL: "http://kubo.example.org:5001/?token=kubo-tok-123" }, cwd });
    });

    it("keeps secrets out of JSON.stringify and util.inspect of the config itself", () => {
      for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.keystore.source === "passphrase" && config.keystore.passphrase)]) {
        expect(text).not.to.contain(PASSPHRASE);
      }
      expect(config.keystore.source === "passphrase" && config.keystore.passphrase.reveal()).to.equal(PASSPHRASE);
    });

    it("redactConfig masks the passphrase, URL passwords and token parameters", () => {
      const redacted = redactConfig(config);
      const text = JSON.stringify(redacted);
      expect(text).not.to.contain(PASSPHRASE);
      expect(text).not.to.contain("s3cr3t-db-pw");
      expect(text).not.to.contain("kubo-tok-123");
      expect(redacted.database).to.deep.equal({ engine: "postgres", url: "postgres://app:[redacted]@db.example.org:5432/firstmile" });
      expect(redacted.keystore).to.deep.equal({ source: "passphrase", passphrase: "[redacted]" });
      expect(redacted.http).to.deep.equal({ host: "127.0.0.1", port: 8080 });
    });

    it("redactUrl masks user:password@ even in a URL the parser refuses, and leaves other text alone", () => {
      expect(redactUrl("postgres://app:pa ss^word@db:5432/x")).to.equal("postgres://app:[redacted]@db:5432/x");
      expect(redactUrl("https://node.example.org:8545/?apikey=k-1&chain=a")).to.equal("https://node.example.org:8545/?apikey=[redacted]&chain=a");
      expect(redactUrl("not a url: user:pw@host")).to.equal("not a url: user:pw@host");
    });

    it("describeConfig names every part and no secret", () => {
      const banner = describeConfig(config);
      for (const part of ["profile production", "PostgreSQL at postgres://app:[redacted]@db.example.org", "Kubo RPC", "https://besu.example.org:8545", "FIRSTMILE_KEYSTORE_PASSPHRASE ([redacted])"]) {
        expect(banner).to.contain(part);
      }
      expect(banner).not.to.contain(PASSPHRASE);
      expect(banner).not.to.contain("s3cr3t-db-pw");
      expect(banner).not.to.contain("kubo-tok-123");
    });

    it("FIRSTMILE_CHAIN_BLOCK_TIME_MS sets the embedded node's block time, within 50 ms to a minute, and has no effect on an external node", () => {
      const fast = loadConfig({ env: { FIRSTMILE_CHAIN_BLOCK_TIME_MS: "250" }, cwd });
      expect(fast.chain.node!.blockTime).to.equal(0.25);
      expect(describeConfig(fast)).to.contain("a block every 250 ms");
      expect(loadConfig({ env: {}, cwd }).chain.node).to.not.have.property("blockTime");
      for (const wrong of ["49", "60001", "0.5"]) {
        expect(configError(() => loadConfig({ env: { FIRSTMILE_CHAIN_BLOCK_TIME_MS: wrong }, cwd })).issues.map((issue) => issue.key), wrong).to.deep.equal(["FIRSTMILE_CHAIN_BLOCK_TIME_MS"]);
      }
      const external = loadConfig({ env: { FIRSTMILE_RPC_URL: "http://127.0.0.1:9545", FIRSTMILE_CHAIN_BLOCK_TIME_MS: "250" }, cwd });
      expect(external.chain.node).to.equal(null);
      expect(external.warnings).to.deep.equal(["FIRSTMILE_CHAIN_BLOCK_TIME_MS has no effect: no node is started when FIRSTMILE_RPC_URL is set"]);
    });

    it("describeConfig says that an embedded key file will be created, and prints warnings", () => {
      const embedded = loadConfig({ env: { FIRSTMILE_RPC_URL: "http://127.0.0.1:9545", FIRSTMILE_CHAIN_PORT: "9545" }, cwd });
      const banner = describeConfig(embedded);
      expect(banner).to.contain("created on first start");
      expect(banner).to.contain("warning   FIRSTMILE_CHAIN_PORT has no effect");
    });
  });

  describe("two instances on one machine", () => {
    it("share no path and no port when data dir and ports differ", () => {
      const a = loadConfig({ env: { FIRSTMILE_DATA_DIR: "a", FIRSTMILE_PORT: "8080", FIRSTMILE_CHAIN_PORT: "8545" }, cwd });
      const b = loadConfig({ env: { FIRSTMILE_DATA_DIR: "b", FIRSTMILE_PORT: "8081", FIRSTMILE_CHAIN_PORT: "8546" }, cwd });
      const pathsOf = (c: Config) => [
        c.dataDir,
        c.chain.node!.stateFile,
        c.database.engine === "pglite" ? c.database.dir : "",
        c.ipfs.mode === "embedded" ? c.ipfs.blockstoreDir : "",
        c.keystore.source === "keyFile" ? c.keystore.keyFile : "",
      ];
      for (const p of pathsOf(a)) expect(p.startsWith(path.join(cwd, "a") + path.sep) || p === path.join(cwd, "a")).to.equal(true);
      for (const p of pathsOf(b)) expect(p.startsWith(path.join(cwd, "b") + path.sep) || p === path.join(cwd, "b")).to.equal(true);
      expect(new Set([a.http.port, a.chain.node!.port, b.http.port, b.chain.node!.port]).size).to.equal(4);
    });

    it("refuses an anvil port equal to the HTTP port", () => {
      const error = configError(() => loadConfig({ env: { FIRSTMILE_PORT: "9000", FIRSTMILE_CHAIN_PORT: "9000" }, cwd }));
      expect(error.key).to.equal("FIRSTMILE_CHAIN_PORT");
    });
  });

  describe("paths", () => {
    it("computes every store's path once, under the data dir, and the stores' settings use them", () => {
      const config = loadConfig({ env: { FIRSTMILE_DATA_DIR: "d" }, cwd });
      const dataDir = path.join(cwd, "d");
      expect(config.paths).to.deep.equal({
        dataDir,
        chainState: path.join(dataDir, "chain"),
        deploymentsFile: path.join(dataDir, "deployments", "embedded.json"),
        controlSocket: path.join(dataDir, "gateway.sock"),
        pgdata: path.join(dataDir, "pgdata"),
        evidence: path.join(dataDir, "evidence"),
        keystoreKey: path.join(dataDir, "keystore.key"),
        demoRecord: path.join(dataDir, "demo.json"),
      });
      expect(config.chain.node!.stateFile).to.equal(path.join(config.paths.chainState, "state.json"));
      expect(config.database).to.deep.include({ dir: config.paths.pgdata });
      expect(config.ipfs).to.deep.include({ blockstoreDir: config.paths.evidence });
      expect(config.keystore).to.deep.include({ keyFile: config.paths.keystoreKey });
    });

    it("takes FIRSTMILE_DEPLOYMENTS_FILE and FIRSTMILE_CHAIN_ID on the embedded profile too", () => {
      const config = loadConfig({ env: { FIRSTMILE_DEPLOYMENTS_FILE: "ops/contracts.json", FIRSTMILE_CHAIN_ID: "4242" }, cwd });
      expect(config.paths.deploymentsFile).to.equal(path.join(cwd, "ops", "contracts.json"));
      expect(config.chain.node!.chainId).to.equal(4242);
    });
  });

  describe("gateway settings", () => {
    it("defaults the deployments file by profile, takes rate limits, and warns when a crash point is armed", () => {
      const config = loadConfig({ env: { FIRSTMILE_RATE_LIMIT_PER_TOKEN: "500", FIRSTMILE_TEST_CRASH_AT: "after-sign:3" }, cwd });
      expect(config.paths.deploymentsFile).to.equal(path.join(cwd, ".firstmile", "deployments", "embedded.json"));
      expect(config.rateLimits).to.deep.equal({ perToken: 500, perIp: 50, pagesPerIp: 3 });
      expect(config.testCrashAt).to.equal("after-sign:3");
      expect(config.warnings.join("\n")).to.contain("FIRSTMILE_TEST_CRASH_AT is set");
      expect(loadConfig({ env: {}, cwd }).testCrashAt).to.equal(null);
    });

    it("trusts forwarded headers from no proxy by default, and from the addresses and ranges configured; refuses anything else", () => {
      expect(loadConfig({ env: {}, cwd }).trustedProxies).to.deep.equal([]);
      const config = loadConfig({ env: { FIRSTMILE_TRUSTED_PROXIES: " 10.0.0.5, 192.168.0.0/16,fd00::/8 ", FIRSTMILE_RATE_LIMIT_PAGES_PER_IP: "5000" }, cwd });
      expect(config.trustedProxies).to.deep.equal(["10.0.0.5", "192.168.0.0/16", "fd00::/8"]);
      expect(config.rateLimits.pagesPerIp).to.equal(5000);
      for (const bad of ["loopback", "10.0.0.0/33", "10.0.0.1/8/2", "example.com"]) {
        const error = configError(() => loadConfig({ env: { FIRSTMILE_TRUSTED_PROXIES: `10.0.0.5,${bad}` }, cwd }));
        expect(error.issues.map((issue) => issue.key), bad).to.deep.equal(["FIRSTMILE_TRUSTED_PROXIES"]);
        expect(error.issues[0]!.message, bad).to.contain(JSON.stringify(bad));
      }
    });

    it("takes a public base URL for QR codes (default: none, the gateway's own URL) and a switch for the demo seed", () => {
      const defaults = loadConfig({ env: {}, cwd });
      expect(defaults.publicUrl).to.equal(null);
      expect(defaults.demo).to.deep.equal({ seed: true });
      const set = loadConfig({ env: { FIRSTMILE_PUBLIC_URL: "https://trace.example.org/", FIRSTMILE_DEMO: "0" }, cwd });
      expect(set.publicUrl).to.equal("https://trace.example.org");
      expect(set.demo).to.deep.equal({ seed: false });
      expect(describeConfig(set)).to.contain("https://trace.example.org (QR codes and labels)");
      expect(configError(() => loadConfig({ env: { FIRSTMILE_PUBLIC_URL: "ftp://x.example.org" }, cwd })).key).to.equal("FIRSTMILE_PUBLIC_URL");
      expect(configError(() => loadConfig({ env: { FIRSTMILE_PUBLIC_URL: "https://x.example.org/?a=1" }, cwd })).message).to.contain("without query");
      expect(configError(() => loadConfig({ env: { FIRSTMILE_DEMO: "yes" }, cwd })).key).to.equal("FIRSTMILE_DEMO");
      fs.mkdirSync(path.join(cwd, ".firstmile"));
      fs.writeFileSync(path.join(cwd, ".firstmile", "config.json"), JSON.stringify({ http: { publicUrl: "https://a.example.org/trace" }, demo: { seed: 0 } }));
      const fromFile = loadConfig({ env: {}, cwd });
      expect(fromFile.publicUrl).to.equal("https://a.example.org/trace");
      expect(fromFile.demo.seed).to.equal(false);
    });

    it("never seeds the demo in the production profile, and says so when asked to", () => {
      const config = loadConfig({ env: { ...PRODUCTION_ENV, FIRSTMILE_DEMO: "1" }, cwd });
      expect(config.demo.seed).to.equal(false);
      expect(config.warnings.join("\n")).to.contain("FIRSTMILE_DEMO has no effect");
    });

    it("refuses a crash point that is not one of the relay's steps, and a crash point in the config file", () => {
      expect(configError(() => loadConfig({ env: { FIRSTMILE_TEST_CRASH_AT: "somewhere:1" }, cwd })).message).to.contain("after-ack");
      expect(configError(() => loadConfig({ env: { FIRSTMILE_TEST_CRASH_AT: "after-ack:0" }, cwd })).key).to.equal("FIRSTMILE_TEST_CRASH_AT");
      fs.mkdirSync(path.join(cwd, ".firstmile"));
      fs.writeFileSync(path.join(cwd, ".firstmile", "config.json"), JSON.stringify({ testCrashAt: "after-ack:1" }));
      expect(configError(() => loadConfig({ env: {}, cwd })).message).to.contain("unknown key");
    });
  });
});
