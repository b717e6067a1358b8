import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { Interface, Wallet, type ErrorFragment, type ParamType } from "ethers";
import {
  attestationRegistryInterface,
  contractErrorsInterface,
  ddsRegistryInterface,
  formCatalogueInterface,
  forwarderInterface,
  governanceInterface,
  lotRegistryInterface,
  payoutRegistryInterface,
} from "../../src/chain/contracts";
import { decodeRevert } from "../../src/relay/contractErrors";

// The compiled contracts' own ABIs, read from hardhat's artifacts: the interfaces the gateway
// uses must be these, whatever typechain generated from them.
const ARTIFACTS = path.resolve(__dirname, "../../artifacts");
const compiledAbi = (source: string, name: string) => new Interface(JSON.parse(fs.readFileSync(path.join(ARTIFACTS, source, `${name}.json`), "utf8")).abi);
const compiled = {
  LotRegistry: compiledAbi("contracts/lots/LotRegistry.sol", "LotRegistry"),
  AttestationRegistry: compiledAbi("contracts/attestations/AttestationRegistry.sol", "AttestationRegistry"),
  FormCatalogue: compiledAbi("contracts/lots/FormCatalogue.sol", "FormCatalogue"),
  ERC2771Forwarder: compiledAbi("@openzeppelin/contracts/metatx/ERC2771Forwarder.sol", "ERC2771Forwarder"),
  Governance: compiledAbi("contracts/governance/Governance.sol", "Governance"),
  DdsRegistry: compiledAbi("contracts/eudr/DdsRegistry.sol", "DdsRegistry"),
  PayoutRegistry: compiledAbi("contracts/payments/PayoutRegistry.sol", "PayoutRegistry"),
  Errors: compiledAbi("@openzeppelin/contracts/utils/Errors.sol", "Errors"),
  Nonces: compiledAbi("@openzeppelin/contracts/utils/Nonces.sol", "Nonces"),
};

const errorsOf = (contract: Interface): ErrorFragment[] => {
  const errors: ErrorFragment[] = [];
  contract.forEachError((fragment) => errors.push(fragment));
  return errors;
};

/** A value of an ABI type that is not all zeros, so a decoder reading the wrong word shows. */
function sample(type: ParamType, seed: number): unknown {
  if (type.isArray()) return [sample(type.arrayChildren, seed + 1), sample(type.arrayChildren, seed + 2)];
  if (type.isTuple()) return type.components.map((component, i) => sample(component, seed + i));
  if (type.baseType === "address") return Wallet.createRandom().address;
  if (type.baseType === "bool") return seed % 2 === 0;
  if (type.baseType === "string") return `text ${seed}`;
  if (type.baseType === "bytes") return `0x${"ab".repeat(seed + 1)}`;
  const fixedBytes = /^bytes(\d+)$/.exec(type.baseType);
  if (fixedBytes) return `0x${(seed + 1).toString(16).padStart(2, "0").repeat(Number(fixedBytes[1]))}`;
  if (type.baseType.startsWith("int")) return -BigInt(seed + 1);
  if (type.baseType.startsWith("uint")) return BigInt(seed + 7);
  throw new Error(`no sample for ${type.format()}`);
}

describe("contract interfaces (src/chain/contracts.ts)", () => {
  it("are the compiled contracts' ABIs: every function, event and error", () => {
    const pairs: Array<[string, Interface, Interface]> = [
      ["LotRegistry", lotRegistryInterface, compiled.LotRegistry],
      ["AttestationRegistry", attestationRegistryInterface, compiled.AttestationRegistry],
      ["FormCatalogue", formCatalogueInterface, compiled.FormCatalogue],
      ["ERC2771Forwarder", forwarderInterface, compiled.ERC2771Forwarder],
      ["Governance", governanceInterface, compiled.Governance],
      ["DdsRegistry", ddsRegistryInterface, compiled.DdsRegistry],
      ["PayoutRegistry", payoutRegistryInterface, compiled.PayoutRegistry],
    ];
    for (const [name, used, artifact] of pairs) {
      expect([...used.format()].sort(), name).to.deep.equal([...artifact.format()].sort());
    }
  });

  it("contractErrorsInterface: every custom error a relayed call can raise, each signature once, and no other", () => {
    const expected = new Set(
      [compiled.LotRegistry, compiled.FormCatalogue, compiled.AttestationRegistry, compiled.DdsRegistry, compiled.PayoutRegistry, compiled.ERC2771Forwarder, compiled.Errors, compiled.Nonces].flatMap((contract) => errorsOf(contract).map((fragment) => fragment.format("sighash"))),
    );
    const held = errorsOf(contractErrorsInterface).map((fragment) => fragment.format("sighash"));
    expect(held.length).to.equal(new Set(held).size);
    expect([...held].sort()).to.deep.equal([...expected].sort());
    // Errors shared through inheritance (the membership registry's in the lot registry, OpenZeppelin's in several) are there once.
    expect(held.filter((signature) => signature.startsWith("FailedCall("))).to.have.length(1);
  });

  it("decodes every custom error of those contracts from its revert data, by name and with each argument", () => {
    let decoded = 0;
    for (const [name, contract] of Object.entries(compiled)) {
      if (name === "Governance") continue; // not a relay target: its errors reach the governance CLI through ethers
      for (const fragment of errorsOf(contract)) {
        const values = fragment.inputs.map((input, i) => sample(input, i));
        const revert = decodeRevert(contract.encodeErrorResult(fragment, values));
        expect(revert, `${name}.${fragment.name}`).to.not.equal(null);
        expect(revert!.error).to.equal(fragment.name);
        expect(Object.keys(revert!.args), `${name}.${fragment.name}`).to.deep.equal(fragment.inputs.map((input, i) => input.name || `arg${i}`));
        decoded += 1;
      }
    }
    expect(decoded).to.be.greaterThan(50);
  });
});
