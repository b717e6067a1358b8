import { expect } from "chai";
import { computeAttestationUid } from "../../src/attestations/attestationUid";
import type { PassportAttestation } from "../../src/web/passport/types";
import { attestationFieldsProblem } from "../../src/web/passport/verify";

describe("lot page: an attestation about a delivery's origin plot", () => {
  const origin = `0x${"5a".repeat(32)}`;
  const attester = "0x00000000000000000000000000000000000000c1";
  const fields = { scheme: 2, subject: origin, attester, time: 1_790_000_000n, expiresAt: 1_821_536_000n, evidence: `0x${"e1".repeat(32)}`, dataHash: `0x${"00".repeat(32)}` };
  const attestation: PassportAttestation = {
    uid: computeAttestationUid({ ...fields, subjectKind: "plot" }),
    subjectKind: "plot",
    lotId: "1000000001",
    scheme: { id: 2, name: "deforestation-free", version: "1", model: null },
    certifier: { memberId: "4", account: attester, name: null },
    attestedAt: new Date(Number(fields.time) * 1000).toISOString(),
    expiresAt: new Date(Number(fields.expiresAt) * 1000).toISOString(),
    status: "valid",
    revocation: null,
    evidence: fields.evidence,
    subject: origin,
    dataHash: fields.dataHash,
  };

  it("passes when the delivery's on-chain origin is the attested plot and the fields hash to the uid", () => {
    expect(attestationFieldsProblem(attestation, (lotId) => (lotId === "1000000001" ? origin : null))).to.equal(null);
  });

  it("names the difference when the delivery came from another plot, or is not shown", () => {
    expect(attestationFieldsProblem(attestation, () => `0x${"5b".repeat(32)}`)).to.match(/plot of delivery 1000000001.*origin is 0x5b5b/);
    expect(attestationFieldsProblem(attestation, () => null)).to.match(/origin is not shown/);
  });

  it("does not pass a plot attestation off as a lot attestation (the uid commits to the subject kind)", () => {
    const asLot = { ...attestation, subjectKind: "lot" as const, subject: `0x${(1000000001).toString(16).padStart(64, "0")}` };
    expect(attestationFieldsProblem(asLot)).to.match(/hash to/);
  });
});
