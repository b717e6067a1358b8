import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { ZeroHash } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { AttestationRegistry__factory, Governance__factory, LotRegistry__factory } from "../../typechain-types";
import { FormId } from "../../src/lots/forms";
import { deployAll } from "../../deploy";
import { ChainOfCustody, DEMO_SCHEMES, registeredSchemeId, schemeByKey, subjectsToBits } from "../../src/attestations";
import { applyGoverned } from "../../src/governance";

describe("deploy step 004_attestations", function () {
  it("deploys the registry, sets it as the lot observer, registers the demo schemes, and does nothing the second time", async function () {
    const [deployer] = await ethers.getSigners();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-deploy-"));
    try {
      const file = path.join(dir, "hardhat.json");
      const first = await deployAll({ signer: deployer, file, network: "hardhat" });
      const address = first.contracts.AttestationRegistry.address;
      const lots = LotRegistry__factory.connect(first.contracts.LotRegistry.address, deployer);
      const attestations = AttestationRegistry__factory.connect(address, deployer);
      expect(await lots.lotObserver()).to.equal(address);
      expect(await attestations.lotRegistry()).to.equal(first.contracts.LotRegistry.address);
      expect(await attestations.schemeCount()).to.equal(BigInt(DEMO_SCHEMES.length));
      for (const spec of DEMO_SCHEMES) {
        const scheme = await attestations.getScheme(await attestations.schemeIdOf(spec.name, spec.version));
        expect([scheme.model, scheme.subjects, scheme.defaultValidity]).to.deep.equal([
          BigInt(ChainOfCustody[spec.model]),
          BigInt(subjectsToBits(spec.subjects)),
          BigInt(spec.defaultValiditySeconds),
        ]);
      }

      const nonce = await deployer.getNonce();
      const second = await deployAll({ signer: deployer, file, network: "hardhat" });
      expect(second.contracts).to.deep.equal(first.contracts);
      expect(await deployer.getNonce()).to.equal(nonce);
      expect(JSON.parse(fs.readFileSync(file, "utf8")).contracts.AttestationRegistry.address).to.equal(address);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("deploy step 005_governance", function () {
  it("sets governance with the settings given, and a later run proposes nothing that undoes a governance decision", async function () {
    const [deployer] = await ethers.getSigners();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-deploy-"));
    try {
      const file = path.join(dir, "hardhat.json");
      const deployments = await deployAll({ signer: deployer, file, network: "hardhat", governance: { delaySeconds: 3_600, quorum: 2 } });
      const lots = LotRegistry__factory.connect(deployments.contracts.LotRegistry.address, deployer);
      const governance = Governance__factory.connect(deployments.contracts.Governance.address, deployer);
      expect(await lots.governance()).to.equal(deployments.contracts.Governance.address);
      expect([await governance.delay(), await governance.quorum(), await governance.requiredApprovals()]).to.deep.equal([3_600n, 2n, 1n]);
      await expect(lots.setYieldBounds(FormId.wetBeans, FormId.dryBeans, 3_300, 4_300)).to.be.revertedWithCustomError(
        lots,
        "MembershipNotGovernance",
      );

      // The governors narrow the wet-to-dry bounds; the next deployment run leaves them as decided.
      const data = lots.interface.encodeFunctionData("setYieldBounds", [FormId.wetBeans, FormId.dryBeans, 3_300, 4_300]);
      await governance.propose(lots, data, ZeroHash);
      await time.increase(3_600);
      await governance.execute(lots, data, ZeroHash);
      const nonce = await deployer.getNonce();
      await deployAll({ signer: deployer, file, network: "hardhat" });
      expect(await deployer.getNonce()).to.equal(nonce);
      const bounds = await lots.getYieldBounds(FormId.wetBeans, FormId.dryBeans);
      expect([bounds.minBps, bounds.maxBps]).to.deep.equal([3_300n, 4_300n]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("deploy on a network that is not for development", function () {
  it("registers no demo scheme", async function () {
    const [deployer] = await ethers.getSigners();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-deploy-"));
    try {
      const deployments = await deployAll({ signer: deployer, file: path.join(dir, "external.json"), network: "external" });
      const attestations = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry.address, deployer);
      expect(await attestations.schemeCount()).to.equal(0n);
      expect(await deployAll({ signer: deployer, file: path.join(dir, "demo.json"), network: "external", demoSchemes: true }).then(
        async (d) => AttestationRegistry__factory.connect(d.contracts.AttestationRegistry.address, deployer).schemeCount(),
      )).to.equal(BigInt(DEMO_SCHEMES.length));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("deploy on a chain that registered a demo scheme under its former name", function () {
  it("finds it there and registers no second one", async function () {
    const [deployer] = await ethers.getSigners();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-deploy-"));
    try {
      const file = path.join(dir, "older.json");
      const deployments = await deployAll({ signer: deployer, file, network: "older", demoSchemes: false });
      const attestations = AttestationRegistry__factory.connect(deployments.contracts.AttestationRegistry.address, deployer);
      const premium = schemeByKey("fair-price-premium");
      const [formerName] = premium.formerNames!;
      await applyGoverned(deployer, deployments, [{
        target: await attestations.getAddress(),
        data: attestations.interface.encodeFunctionData("registerScheme", [formerName!, premium.version, ChainOfCustody[premium.model], subjectsToBits(premium.subjects), premium.defaultValiditySeconds]),
        description: "the premium scheme as an older release named it",
      }]);
      const formerId = Number(await attestations.schemeIdOf(formerName!, premium.version));
      expect(formerId).to.equal(1);

      await deployAll({ signer: deployer, file, network: "older", demoSchemes: true });
      expect(await attestations.schemeCount()).to.equal(BigInt(DEMO_SCHEMES.length));
      expect(await attestations.schemeIdOf(premium.name, premium.version)).to.equal(0n);
      expect(await registeredSchemeId(attestations, premium)).to.equal(formerId);
      expect(await registeredSchemeId(attestations, schemeByKey("organic"))).to.be.greaterThan(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
