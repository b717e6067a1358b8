import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { computeEvidenceCid, EvidenceMediaTypeError, EvidenceTooLargeError, openEvidenceStore } from "../../src/evidence";
import {
  FarmerNotFoundError,
  FarmerRecordCorruptError,
  consentCreateSchema,
  createFarmer,
  farmerCreateSchema,
  listPrivateDocuments,
  privateDocument,
  putPrivateEvidence,
  readPrivateEvidence,
  recordConsent,
  withdrawConsent,
  type Farmer,
} from "../../src/farmers";
import { buildJpeg, buildPdf, MODEL } from "../evidence/fixtures";
import { describeEachEngine } from "../helpers/engines";
import { rejection } from "../helpers/rejection";
import { openFarmerFixture, type FarmerFixture } from "./helpers";

const COOP = 41n;
const OTHER_COOP = 42n;
const CERTIFIER = 43n;
const TITLE = "SERTIFIKAT HAK MILIK No. 00417 atas nama Siti Rahmawati";

/** Every file under `dir`, read whole (the embedded store's blocks and pin records). */
function filesUnder(dir: string): Buffer[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name)));
}

describeEachEngine("private evidence: sealed documents in the public evidence store", (engine) => {
  let fixture: FarmerFixture;
  let farmer: Farmer;
  const sealer = () => fixture.keystore.records;
  const landTitle = () => buildPdf(TITLE);
  const put = (bytes: Buffer, extra: { memberId?: bigint; farmerId?: string; mediaType?: string } = {}) =>
    putPrivateEvidence(fixture.db, fixture.store, sealer(), { memberId: COOP, farmerId: farmer.id, kind: "land-title", mediaType: "application/pdf", bytes, ...extra });

  before(async () => {
    fixture = await openFarmerFixture({}, engine);
  });
  after(async () => {
    await fixture?.close();
  });
  beforeEach(async () => {
    farmer = await createFarmer(fixture.db, sealer(), { memberId: COOP, farmer: farmerCreateSchema.parse({ name: "Siti Rahmawati" }) });
  });

  it("stores only ciphertext, named by its CID, and gives the owner the plaintext back", async () => {
    const bytes = landTitle();
    const stored = await put(bytes);
    expect(stored).to.deep.include({ memberId: COOP, farmerId: farmer.id, kind: "land-title", mediaType: "application/pdf", size: bytes.length });
    // What the store holds (and serves to anyone by CID) is the ciphertext; its CID is that of the ciphertext.
    const held = Buffer.from(await fixture.store.get(stored.cid));
    expect(held.length).to.equal(bytes.length + 29);
    expect(held.includes(Buffer.from("Rahmawati"))).to.equal(false);
    expect(held.includes(Buffer.from("%PDF"))).to.equal(false);
    expect((await computeEvidenceCid(held)).toString()).to.equal(stored.cid);
    expect((await computeEvidenceCid(bytes)).toString()).not.to.equal(stored.cid);
    for (const file of filesUnder(fixture.dir)) expect(file.includes(Buffer.from("Rahmawati")), "plaintext on disk").to.equal(false);

    const read = await readPrivateEvidence(fixture.db, fixture.store, sealer(), stored.cid, COOP);
    expect(read!.bytes.equals(bytes)).to.equal(true);
    expect(read!.document.mediaType).to.equal("application/pdf");
  });

  it("seals the same file twice under two keys: two CIDs, nothing to link them", async () => {
    const a = await put(landTitle());
    const b = await put(landTitle());
    expect(a.cid).not.to.equal(b.cid);
  });

  it("shows another cooperative nothing, and a certifier only while the farmer's audit consent names it", async () => {
    const stored = await put(landTitle());
    expect(await readPrivateEvidence(fixture.db, fixture.store, sealer(), stored.cid, OTHER_COOP)).to.equal(null);
    expect(await privateDocument(fixture.db, stored.cid, OTHER_COOP)).to.equal(null);
    expect(await listPrivateDocuments(fixture.db, OTHER_COOP)).to.deep.equal([]);
    expect(await readPrivateEvidence(fixture.db, fixture.store, sealer(), stored.cid, CERTIFIER)).to.equal(null);

    const audit = await recordConsent(fixture.db, sealer(), farmer.id, COOP, consentCreateSchema.parse({ scope: "audit", method: "thumbprint", recordedBy: "Agent", certifierMemberId: Number(CERTIFIER) }));
    const read = await readPrivateEvidence(fixture.db, fixture.store, sealer(), stored.cid, CERTIFIER);
    expect(read!.bytes.equals(landTitle())).to.equal(true);
    expect((await listPrivateDocuments(fixture.db, CERTIFIER, farmer.id)).map((d) => d.cid)).to.deep.equal([stored.cid]);

    await withdrawConsent(fixture.db, sealer(), farmer.id, audit.id, COOP, { recordedBy: "Agent" });
    expect(await readPrivateEvidence(fixture.db, fixture.store, sealer(), stored.cid, CERTIFIER)).to.equal(null);
  });

  it("answers null for a public evidence CID or a string that is no CID", async () => {
    const publicCid = (await fixture.store.put(buildPdf("public audit summary"), "application/pdf")).cid.toString();
    expect(await readPrivateEvidence(fixture.db, fixture.store, sealer(), publicCid, COOP)).to.equal(null);
    expect(await readPrivateEvidence(fixture.db, fixture.store, sealer(), "not-a-cid", COOP)).to.equal(null);
  });

  it("checks the plaintext like any evidence: media type, magic number, size; photos lose their metadata", async () => {
    const count = async () => (await fixture.db.query<{ n: number }>("select count(*)::int as n from private_evidence")).rows[0]!.n;
    const before = await count();
    expect(await rejection(put(Buffer.from("plain text"), { mediaType: "text/plain" }))).to.be.instanceOf(EvidenceMediaTypeError);
    expect(await rejection(put(Buffer.from("not a pdf at all"), { mediaType: "application/pdf" }))).to.be.instanceOf(EvidenceMediaTypeError);
    expect(await count()).to.equal(before);

    const small = await openEvidenceStore({ kind: "embedded", dir: path.join(fixture.dir, "small") }, { maxBytes: 100 });
    try {
      const tooLarge = putPrivateEvidence(fixture.db, small, sealer(), { memberId: COOP, kind: "id-scan", mediaType: "application/pdf", bytes: buildPdf("x".repeat(200)) });
      expect(await rejection(tooLarge)).to.be.instanceOf(EvidenceTooLargeError);
    } finally {
      await small.close();
    }
    expect(await count()).to.equal(before);

    const photo = buildJpeg({ exif: true });
    expect(photo.includes(Buffer.from(MODEL))).to.equal(true);
    const scan = await put(photo, { mediaType: "image/jpeg" });
    expect(scan.removedMetadata.join()).to.contain("Exif");
    const read = await readPrivateEvidence(fixture.db, fixture.store, sealer(), scan.cid, COOP);
    expect(read!.bytes.includes(Buffer.from(MODEL))).to.equal(false);
  });

  it("refuses a farmer the cooperative did not register", async () => {
    const other = await createFarmer(fixture.db, sealer(), { memberId: OTHER_COOP, farmer: farmerCreateSchema.parse({ name: "Other" }) });
    expect(await rejection(put(landTitle(), { farmerId: other.id }))).to.be.instanceOf(FarmerNotFoundError);
  });

  it("fails loudly on a wrapped key moved to another document", async () => {
    const a = await put(landTitle());
    const b = await put(landTitle());
    await fixture.db.query("update private_evidence_keys set wrapped_key = (select wrapped_key from private_evidence_keys where cid = $1) where cid = $2", [a.cid, b.cid]);
    expect(await rejection(readPrivateEvidence(fixture.db, fixture.store, sealer(), b.cid, COOP))).to.be.instanceOf(FarmerRecordCorruptError);
  });
});
