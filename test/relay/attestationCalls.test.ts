import { expect } from "chai";
import { ZeroHash, getAddress } from "ethers";
import { numberSubject } from "../../src/attestations/attestationUid";
import { attestationRegistryInterface } from "../../src/chain/contracts";
import { attestationCallSchemas, encodeAttestationCall } from "../../src/relay/attestationCalls";
import { callAddressOf, callTargetOf, encodeCall, isCallKind } from "../../src/relay/callKinds";
import { outputsOf } from "../../src/relay/receiptOutputs";

const evidence = `0x${"AB".repeat(32)}`;
const plot = `0x${"0c".repeat(32)}`;
const lotRegistry = "0x00000000000000000000000000000000000000a1";
const attestationRegistry = "0x00000000000000000000000000000000000000a2";

describe("attestation calls", function () {
  describe("schemas", function () {
    it("keep each subject in its kind's canonical form", function () {
      const lot = attestationCallSchemas["attestations.attest"].parse({ scheme: 4, subjectKind: "lot", subject: 1000000001, evidence });
      expect(lot).to.deep.equal({ scheme: 4, subjectKind: "lot", subject: "1000000001", evidence: evidence.toLowerCase() });
      const onPlot = attestationCallSchemas["attestations.attest"].parse({ scheme: 1, subjectKind: "plot", subject: plot.toUpperCase().replace("0X", "0x"), evidence, expiresAt: 2_000_000_000 });
      expect(onPlot.subject).to.equal(plot);
      expect(onPlot.expiresAt).to.equal(2_000_000_000);
    });

    it("name the field that is wrong", function () {
      const issues = (value: unknown) => {
        const parsed = attestationCallSchemas["attestations.attest"].safeParse(value);
        return parsed.success ? [] : parsed.error.issues.map((issue) => issue.path.join("."));
      };
      expect(issues({ scheme: 1, subjectKind: "member", subject: "0", evidence })).to.deep.equal(["subject"]);
      expect(issues({ scheme: 1, subjectKind: "plot", subject: ZeroHash, evidence })).to.deep.equal(["subject"]);
      expect(issues({ scheme: 1, subjectKind: "lot", subject: "7", evidence, extra: 1 })).to.deep.equal([""]);
      const batch = attestationCallSchemas["attestations.attestBatch"].safeParse({ scheme: 1, attestations: [{ subjectKind: "lot", subject: "x", evidence }] });
      expect(batch.success ? [] : batch.error.issues.map((issue) => issue.path.join("."))).to.deep.equal(["attestations.0.subject"]);
    });
  });

  describe("calldata", function () {
    it("encodes attest, attestBatch and revoke as the registry's ABI does, subjects as bytes32", function () {
      const attest = attestationCallSchemas["attestations.attest"].parse({ scheme: 4, subjectKind: "lot", subject: "5", evidence });
      expect(encodeAttestationCall("attestations.attest", attest)).to.equal(
        attestationRegistryInterface.encodeFunctionData("attest", [4, { subjectKind: 1, subject: numberSubject(5n), expiresAt: 0, evidence, dataHash: ZeroHash }]),
      );
      const batch = attestationCallSchemas["attestations.attestBatch"].parse({
        scheme: 1,
        attestations: [
          { subjectKind: "plot", subject: plot, evidence },
          { subjectKind: "member", subject: 3, evidence, expiresAt: 9, dataHash: plot },
        ],
      });
      expect(encodeAttestationCall("attestations.attestBatch", batch)).to.equal(
        attestationRegistryInterface.encodeFunctionData("attestBatch", [
          1,
          [
            { subjectKind: 2, subject: plot, expiresAt: 0, evidence, dataHash: ZeroHash },
            { subjectKind: 3, subject: numberSubject(3n), expiresAt: 9, evidence, dataHash: plot },
          ],
        ]),
      );
      const uid = `0x${"77".repeat(32)}`;
      expect(encodeCall("attestations.revoke", { uid, reason: 2 })).to.equal(attestationRegistryInterface.encodeFunctionData("revoke", [uid, 2]));
    });

    it("address each kind at its target contract", function () {
      expect(isCallKind("attestations.attest") && isCallKind("lots.mint") && !isCallKind("relay")).to.equal(true);
      expect(callTargetOf("lots.offer")).to.equal("lotRegistry");
      expect(callTargetOf("attestations.attestBatch")).to.equal("attestationRegistry");
      expect(callAddressOf("attestations.revoke", { lotRegistry, attestationRegistry })).to.equal(attestationRegistry);
      expect(callAddressOf("attestations.revoke", { lotRegistry })).to.equal(null);
      expect(callAddressOf("lots.mint", { lotRegistry })).to.equal(lotRegistry);
    });
  });

  describe("outputs", function () {
    it("read attestation uids and revocations from the attestation registry's logs only", function () {
      const attester = getAddress("0x00000000000000000000000000000000000000b1");
      const attested = (uid: string, address = attestationRegistry) => {
        const { data, topics } = attestationRegistryInterface.encodeEventLog("Attested", [numberSubject(5n), attester, 4, uid, 1, 0, evidence, ZeroHash]);
        return { address, data, topics };
      };
      const revoked = attestationRegistryInterface.encodeEventLog("Revoked", [`0x${"01".repeat(32)}`, attester, 4, 3]);
      const logs = [attested(`0x${"01".repeat(32)}`), attested(`0x${"02".repeat(32)}`), attested(`0x${"03".repeat(32)}`, lotRegistry), { address: attestationRegistry, ...revoked }];
      const outputs = outputsOf(logs, lotRegistry, { offset: 0, items: 1, shared: false }, attestationRegistry);
      expect(outputs.uids).to.deep.equal([`0x${"01".repeat(32)}`, `0x${"02".repeat(32)}`]);
      expect(outputs.revoked).to.deep.equal([`0x${"01".repeat(32)}`]);
      expect(outputs.events!.map((event) => `${event.contract}.${event.name}`)).to.deep.equal(["AttestationRegistry.Attested", "AttestationRegistry.Attested", "AttestationRegistry.Revoked"]);
      expect(outputs.events![2]!.args).to.deep.equal({ uid: `0x${"01".repeat(32)}`, revoker: attester, scheme: "4", reason: "3" });
      // Without the attestation registry's address nothing of it is read (a lot call's outputs stay as they were).
      expect(outputsOf(logs, lotRegistry, { offset: 0, items: 1, shared: false })).to.deep.equal({ lotIds: [], heads: [], events: [] });
    });
  });
});
