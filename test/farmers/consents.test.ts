import { expect } from "chai";
import {
  ConsentWithdrawnError,
  FarmerInputError,
  FarmerNotFoundError,
  FarmerReadOnlyError,
  consentCreateSchema,
  createFarmer,
  exportFarmers,
  farmerCreateSchema,
  farmersCsv,
  formatFarmerCode,
  hasConsent,
  listConsents,
  listFarmers,
  putPrivateEvidence,
  readFarmer,
  recordConsent,
  updateFarmer,
  withdrawConsent,
  type ConsentCreate,
  type Farmer,
} from "../../src/farmers";
import { describeEachEngine } from "../helpers/engines";
import { rejection } from "../helpers/rejection";
import { farmerTablesText, openFarmerFixture, type FarmerFixture } from "./helpers";

const COOP = 21n;
const OTHER_COOP = 22n;
const CERTIFIER = 23n;
const PDF = Buffer.from("%PDF-1.4\n% signed consent form of a farmer\n%%EOF\n", "latin1");

const consent = (input: Record<string, unknown>): ConsentCreate => consentCreateSchema.parse({ method: "thumbprint", recordedBy: "Agent Yusuf", ...input });

describeEachEngine("farmer consents: recorded, withdrawn by appending, obeyed everywhere", (engine) => {
  let fixture: FarmerFixture;
  let farmer: Farmer;
  const sealer = () => fixture.keystore.records;
  const newFarmer = async (name: string, memberId = COOP) => createFarmer(fixture.db, sealer(), { memberId, farmer: farmerCreateSchema.parse({ name, village: "Desa Lemban Tongoa" }) });

  before(async () => {
    fixture = await openFarmerFixture({}, engine);
  });
  after(async () => {
    await fixture?.close();
  });
  beforeEach(async () => {
    farmer = await newFarmer("Nurhayati");
  });

  it("records a consent and answers hasConsent for its scope only", async () => {
    expect(await hasConsent(fixture.db, farmer.id, "traceability")).to.equal(false);
    const recorded = await recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "traceability" }));
    expect(recorded).to.deep.include({ farmerId: farmer.id, scope: "traceability", method: "thumbprint", recordedBy: "Agent Yusuf", withdrawal: null, certifierMemberId: null });
    expect(recorded.id).to.match(/^c_[0-9a-z]{26}$/);
    expect(recorded.recordedAt).to.be.instanceOf(Date);
    expect(await hasConsent(fixture.db, farmer.id, "traceability")).to.equal(true);
    expect(await hasConsent(fixture.db, farmer.id, "payments")).to.equal(false);
  });

  it("withdraws by appending a record: the consent row is unchanged, the scope no longer holds, twice is refused", async () => {
    const recorded = await recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "payments" }));
    const before = (await fixture.db.query("select * from farmer_consents where id = $1", [recorded.id])).rows;
    const withdrawn = await withdrawConsent(fixture.db, sealer(), farmer.id, recorded.id, COOP, { recordedBy: "Agent Yusuf", reason: "the farmer asked" });
    expect(withdrawn.withdrawal).to.deep.include({ recordedBy: "Agent Yusuf", reason: "the farmer asked" });
    expect(withdrawn.withdrawal!.withdrawnAt).to.be.instanceOf(Date);
    expect((await fixture.db.query("select * from farmer_consents where id = $1", [recorded.id])).rows).to.deep.equal(before);
    expect((await fixture.db.query("select count(*)::int as n from farmer_consent_withdrawals where consent_id = $1", [recorded.id])).rows[0]!.n).to.equal(1);
    expect(await hasConsent(fixture.db, farmer.id, "payments")).to.equal(false);
    expect(await rejection(withdrawConsent(fixture.db, sealer(), farmer.id, recorded.id, COOP, { recordedBy: "x" }))).to.be.instanceOf(ConsentWithdrawnError);
    // Given again later: a new consent, the old one stays withdrawn in the history.
    await recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "payments", method: "witnessed-verbal", witness: "Pak Lurah" }));
    expect(await hasConsent(fixture.db, farmer.id, "payments")).to.equal(true);
    const history = await listConsents(fixture.db, sealer(), farmer.id);
    expect(history.map((c) => [c.scope, c.withdrawal === null, c.witness])).to.deep.equal([
      ["payments", false, null],
      ["payments", true, "Pak Lurah"],
    ]);
  });

  it("seals a verbal consent's witness", async () => {
    await recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "research", method: "witnessed-verbal", witness: "Ibu Kartini Lamba" }));
    expect(await farmerTablesText(fixture.db)).not.to.contain("Kartini");
  });

  it("refuses a consent schema without its proof, a certifier outside an audit, and a withdrawal of an unknown consent", async () => {
    expect(consentCreateSchema.safeParse({ scope: "traceability", method: "signed-form", recordedBy: "A" }).success).to.equal(false);
    expect(consentCreateSchema.safeParse({ scope: "traceability", method: "witnessed-verbal", recordedBy: "A" }).success).to.equal(false);
    expect(consentCreateSchema.safeParse({ scope: "audit", method: "thumbprint", recordedBy: "A" }).success).to.equal(false);
    expect(consentCreateSchema.safeParse({ scope: "research", method: "thumbprint", recordedBy: "A", certifierMemberId: 5 }).success).to.equal(false);
    expect(consentCreateSchema.safeParse({ scope: "gossip", method: "thumbprint", recordedBy: "A" }).success).to.equal(false);
    expect(await rejection(withdrawConsent(fixture.db, sealer(), farmer.id, "c_00000000000000000000000000", COOP, { recordedBy: "A" }))).to.be.instanceOf(FarmerNotFoundError);
  });

  it("takes a signed form only as this cooperative's private document for this farmer", async () => {
    const form = await putPrivateEvidence(fixture.db, fixture.store, sealer(), { memberId: COOP, farmerId: farmer.id, kind: "consent-form", mediaType: "application/pdf", bytes: PDF });
    const signed = await recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "traceability", method: "signed-form", evidenceCid: form.cid }));
    expect(signed.evidenceCid).to.equal(form.cid);
    const foreign = await putPrivateEvidence(fixture.db, fixture.store, sealer(), { memberId: OTHER_COOP, kind: "consent-form", mediaType: "application/pdf", bytes: PDF });
    expect(await rejection(recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "traceability", method: "signed-form", evidenceCid: foreign.cid })))).to.be.instanceOf(FarmerInputError);
    const otherFarmer = await newFarmer("Wayan");
    expect(await rejection(recordConsent(fixture.db, sealer(), otherFarmer.id, COOP, consent({ scope: "traceability", method: "signed-form", evidenceCid: form.cid })))).to.be.instanceOf(FarmerInputError);
  });

  it("lets a certifier named in an audit consent read (never change) the record, until the consent is withdrawn", async () => {
    expect(await readFarmer(fixture.db, sealer(), farmer.id, CERTIFIER)).to.equal(null);
    const audit = await recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "audit", certifierMemberId: String(CERTIFIER) }));
    expect(audit.certifierMemberId).to.equal(CERTIFIER);
    const read = await readFarmer(fixture.db, sealer(), farmer.id, CERTIFIER);
    expect(read?.access).to.equal("auditor");
    expect(read?.farmer.name).to.equal("Nurhayati");
    const audited = await listFarmers(fixture.db, sealer(), { memberId: CERTIFIER, view: "audit" });
    expect(audited.farmers.map((f) => f.id)).to.include(farmer.id);
    expect((await listFarmers(fixture.db, sealer(), { memberId: CERTIFIER })).farmers).to.deep.equal([]);
    expect(await rejection(updateFarmer(fixture.db, sealer(), farmer.id, CERTIFIER, { name: "Changed" }))).to.be.instanceOf(FarmerReadOnlyError);
    expect(await rejection(recordConsent(fixture.db, sealer(), farmer.id, CERTIFIER, consent({ scope: "research" })))).to.be.instanceOf(FarmerReadOnlyError);
    expect(await rejection(withdrawConsent(fixture.db, sealer(), farmer.id, audit.id, CERTIFIER, { recordedBy: "certifier" }))).to.be.instanceOf(FarmerReadOnlyError);
    // Another certifier, and another cooperative, read nothing.
    expect(await readFarmer(fixture.db, sealer(), farmer.id, CERTIFIER + 100n)).to.equal(null);
    expect(await readFarmer(fixture.db, sealer(), farmer.id, OTHER_COOP)).to.equal(null);

    await withdrawConsent(fixture.db, sealer(), farmer.id, audit.id, COOP, { recordedBy: "Agent Yusuf" });
    expect(await readFarmer(fixture.db, sealer(), farmer.id, CERTIFIER)).to.equal(null);
    expect((await listFarmers(fixture.db, sealer(), { memberId: CERTIFIER, view: "audit" })).farmers.map((f) => f.id)).not.to.include(farmer.id);
  });

  it("another cooperative can neither record nor withdraw a consent: the farmer does not exist for it", async () => {
    expect(await rejection(recordConsent(fixture.db, sealer(), farmer.id, OTHER_COOP, consent({ scope: "traceability" })))).to.be.instanceOf(FarmerNotFoundError);
    const own = await recordConsent(fixture.db, sealer(), farmer.id, COOP, consent({ scope: "traceability" }));
    expect(await rejection(withdrawConsent(fixture.db, sealer(), farmer.id, own.id, OTHER_COOP, { recordedBy: "x" }))).to.be.instanceOf(FarmerNotFoundError);
    expect(await hasConsent(fixture.db, farmer.id, "traceability")).to.equal(true);
  });

  describe("the export", () => {
    const member = 31n;

    it("lists traced farmers by pseudonym and code, names only those who consent to be named; a withdrawal changes the next export", async () => {
      const named = await newFarmer("Made Suarta", member);
      const anonymous = await newFarmer("Ketut Arini", member);
      const untraced = await newFarmer("Nyoman Sari", member);
      await recordConsent(fixture.db, sealer(), named.id, member, consent({ scope: "traceability" }));
      const nameConsent = await recordConsent(fixture.db, sealer(), named.id, member, consent({ scope: "eudr-statement-with-name" }));
      await recordConsent(fixture.db, sealer(), anonymous.id, member, consent({ scope: "traceability" }));
      await recordConsent(fixture.db, sealer(), untraced.id, member, consent({ scope: "eudr-statement-with-name" }));

      const first = await exportFarmers(fixture.db, sealer(), member);
      expect(first).to.deep.equal([
        { pseudonym: named.pseudonym, code: formatFarmerCode(named.code), name: "Made Suarta", village: "Desa Lemban Tongoa", language: "en" },
        { pseudonym: anonymous.pseudonym, code: formatFarmerCode(anonymous.code), name: null, village: "Desa Lemban Tongoa", language: "en" },
      ]);
      expect(farmersCsv(first)).to.contain("Made Suarta");

      await withdrawConsent(fixture.db, sealer(), named.id, nameConsent.id, member, { recordedBy: "Agent Yusuf", reason: "does not want the name shared" });
      const second = await exportFarmers(fixture.db, sealer(), member);
      expect(second.map((row) => row.name)).to.deep.equal([null, null]);
      expect(second[0]!.pseudonym).to.equal(named.pseudonym);
      const csv = farmersCsv(second);
      expect(csv).not.to.contain("Made Suarta");
      expect(csv).not.to.contain("Ketut");
      expect(csv).not.to.contain("Nyoman");
      expect(csv.split("\r\n")[0]).to.equal("pseudonym,code,name,village,language");
    });

    it("leaves out archived farmers and those who withdrew traceability", async () => {
      const member2 = 32n;
      const a = await newFarmer("A", member2);
      const b = await newFarmer("B", member2);
      await recordConsent(fixture.db, sealer(), a.id, member2, consent({ scope: "traceability" }));
      const traced = await recordConsent(fixture.db, sealer(), b.id, member2, consent({ scope: "traceability" }));
      expect((await exportFarmers(fixture.db, sealer(), member2)).map((row) => row.pseudonym)).to.deep.equal([a.pseudonym, b.pseudonym]);
      await withdrawConsent(fixture.db, sealer(), b.id, traced.id, member2, { recordedBy: "x" });
      await updateFarmer(fixture.db, sealer(), a.id, member2, { archived: true });
      expect(await exportFarmers(fixture.db, sealer(), member2)).to.deep.equal([]);
    });

    it("writes CSV a spreadsheet does not run: quotes, commas and formulas escaped", () => {
      const csv = farmersCsv([{ pseudonym: "ab", code: "0000-0000", name: '=HYPERLINK("x")', village: "Desa, \"Baru\"", language: "id" }]);
      expect(csv.split("\r\n")[1]).to.equal(`ab,0000-0000,"'=HYPERLINK(""x"")","Desa, ""Baru""",id`);
    });
  });
});
