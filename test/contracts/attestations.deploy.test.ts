import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers } from "hardhat";
import { AttestationRegistry__factory, LotRegistry__factory } from "../../typechain-types";
import { deployAll } from "../../deploy";
import { ChainOfCustody, DEMO_SCHEMES, subjectsToBits } from "../../src/attestations";

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
