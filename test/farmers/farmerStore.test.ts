import { expect } from "chai";
import {
  FarmerCodeTakenError,
  FarmerInputError,
  FarmerNotFoundError,
  FarmerRecordCorruptError,
  createFarmer,
  createFarmers,
  farmerCodeCheckSymbol,
  farmerCreateSchema,
  farmerPseudonym,
  farmerUpdateSchema,
  listFarmers,
  parseFarmerCode,
  readFarmer,
  updateFarmer,
  type FarmerCreateInput,
} from "../../src/farmers";
import { memberSecret } from "../../src/farmers/pseudonym";
import { describeEachEngine } from "../helpers/engines";
import { rejection } from "../helpers/rejection";
import { SITI, SITI_STORED, farmerTablesText, openFarmerFixture, type FarmerFixture } from "./helpers";

const COOP = 11n;
const OTHER_COOP = 12n;


describeEachEngine("farmer records (SQL, sealed fields)", (engine) => {
  let fixture: FarmerFixture;
  const create = (input: FarmerCreateInput, memberId = COOP) => createFarmer(fixture.db, fixture.keystore.records, { memberId, farmer: farmerCreateSchema.parse(input) });

  before(async () => {
    fixture = await openFarmerFixture({}, engine);
  });
  after(async () => {
    await fixture?.close();
  });

  it("registers a farmer: an opaque id, a pseudonym, a valid card code, every field read back", async () => {
    const farmer = await create(SITI);
    expect(farmer.id).to.match(/^f_[0-9a-z]{26}$/);
    expect(farmer.pseudonym).to.match(/^[0-9a-f]{64}$/);
    expect(parseFarmerCode(farmer.code)).to.deep.equal({ ok: true, code: farmer.code });
    expect(farmer).to.deep.include({ ...SITI_STORED, memberId: COOP, archivedAt: null });
    const read = await readFarmer(fixture.db, fixture.keystore.records, farmer.id, COOP);
    expect(read?.access).to.equal("owner");
    expect(read?.farmer).to.deep.equal(farmer);
  });

  it("keeps no personal field in plain text in any table", async () => {
    await create(SITI);
    const text = await farmerTablesText(fixture.db);
    expect(text).to.contain("f_"); // the rows are there
    for (const secret of ["Siti", "Rahmawati", "6281234567890", "7208014501820003", "Tolai", "female", "1982"]) expect(text).not.to.contain(secret);
  });

  it("pads sealed fields: male and female, 1 and 12 people are sealed to the same length", async () => {
    const a = await create({ name: "A", gender: "male", householdSize: 1 });
    const b = await create({ name: "Bartholomew Wibisono", gender: "female", householdSize: 12 });
    const { rows } = await fixture.db.query<{ id: string; name_enc: Buffer; gender_enc: Buffer; household_size_enc: Buffer }>(
      "select id, name_enc, gender_enc, household_size_enc from farmers where id = any($1)",
      [[a.id, b.id]],
    );
    expect(rows[0]!.gender_enc.length).to.equal(rows[1]!.gender_enc.length);
    expect(rows[0]!.household_size_enc.length).to.equal(rows[1]!.household_size_enc.length);
    expect(rows[0]!.name_enc.length).to.equal(rows[1]!.name_enc.length);
  });

  it("refuses a sealed field moved to another farmer or another column", async () => {
    const a = await create({ name: "Ahmad" });
    const b = await create({ name: "Budi", village: "Sausu" });
    await fixture.db.query("update farmers set name_enc = (select name_enc from farmers where id = $1) where id = $2", [a.id, b.id]);
    expect(await rejection(readFarmer(fixture.db, fixture.keystore.records, b.id, COOP))).to.be.instanceOf(FarmerRecordCorruptError);
    const c = await create({ name: "Citra", village: "Sausu" });
    await fixture.db.query("update farmers set name_enc = village_enc where id = $1", [c.id]);
    expect(await rejection(readFarmer(fixture.db, fixture.keystore.records, c.id, COOP))).to.be.instanceOf(FarmerRecordCorruptError);
  });

  it("derives the pseudonym from the farmer's id under the cooperative's secret: stable, and another cooperative's differs", async () => {
    const farmer = await create(SITI);
    const secret = await memberSecret(fixture.db, fixture.keystore.records, COOP);
    expect(farmerPseudonym(secret, farmer.id)).to.equal(farmer.pseudonym);
    expect(await memberSecret(fixture.db, fixture.keystore.records, COOP)).to.deep.equal(secret);
    const other = await memberSecret(fixture.db, fixture.keystore.records, OTHER_COOP);
    expect(other).not.to.deep.equal(secret);
    expect(farmerPseudonym(other, farmer.id)).not.to.equal(farmer.pseudonym);
  });

  it("takes a card code already printed (as typed), and refuses it for a second farmer", async () => {
    const data = "7K3QM9T";
    const code = data + farmerCodeCheckSymbol(data);
    const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`;
    const farmer = await create({ name: "Dewi", code: typed });
    expect(farmer.code).to.equal(code);
    const error = await rejection(create({ name: "Eka", code }));
    expect(error).to.be.instanceOf(FarmerCodeTakenError);
    expect((error as Error).message).to.contain(`${code.slice(0, 4)}-${code.slice(4)}`);
    const { rows } = await fixture.db.query("select 1 from farmers where code = $1", [code]);
    expect(rows).to.have.length(1);
  });

  it("registers many farmers at once: in order, each as one by one would, a taken or repeated code left out and named", async () => {
    const member = 88n;
    const printed = (await create({ name: "Already printed" })).code;
    const data = "Q4RT7WX";
    const fresh = data + farmerCodeCheckSymbol(data);
    const inputs = [{ name: "Ana" }, { name: "Budi", code: printed }, { name: "Citra", code: fresh, gender: "female" }, { name: "Dedi", code: fresh }, ...Array.from({ length: 1_100 }, (_, i) => ({ name: `Petani ${i}`, householdSize: 1 + (i % 9) }))];
    const { created, codeTaken } = await createFarmers(fixture.db, fixture.keystore.records, { memberId: member, farmers: inputs.map((input) => farmerCreateSchema.parse(input)) });
    expect(codeTaken).to.deep.equal([1, 3]);
    expect(created.map((farmer) => farmer.name)).to.deep.equal(inputs.filter((_, i) => i !== 1 && i !== 3).map((input) => input.name));
    expect(created[1]).to.deep.include({ code: fresh, gender: "female", memberId: member });
    const secret = await memberSecret(fixture.db, fixture.keystore.records, member);
    for (const farmer of [created[0]!, created[1]!, created[created.length - 1]!]) {
      expect((await readFarmer(fixture.db, fixture.keystore.records, farmer.id, member))!.farmer).to.deep.equal(farmer);
      expect(farmer.pseudonym).to.equal(farmerPseudonym(secret, farmer.id));
    }
    const { rows } = await fixture.db.query<{ n: number }>("select count(*)::int as n from farmers where member_id = $1", [member.toString()]);
    expect(rows[0]!.n).to.equal(created.length);
  });

  it("validates input strictly: unknown keys, a code with a typo, years, sizes, phones, languages", () => {
    const issues = (input: unknown) => {
      const parsed = farmerCreateSchema.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    };
    expect(issues({ name: "X" })).to.deep.equal([]);
    expect(farmerCreateSchema.parse({ name: " X " })).to.deep.equal({ name: "X", language: "en" });
    expect(issues({ name: "X", farmerRef: "K-1" }).join()).to.contain("farmerRef");
    expect(issues({ name: "" })).to.have.length(1);
    expect(issues({})).to.have.length(1);
    const code = generateCode();
    const typo = code.slice(0, 3) + (code[3] === "A" ? "B" : "A") + code.slice(4);
    expect(issues({ name: "X", code: typo }).join()).to.contain("check symbol does not match");
    expect(issues({ name: "X", birthYear: 1850 })).to.have.length(1);
    expect(issues({ name: "X", birthYear: new Date().getUTCFullYear() + 1 })).to.have.length(1);
    expect(issues({ name: "X", householdSize: 0 })).to.have.length(1);
    expect(issues({ name: "X", householdSize: 2.5 })).to.have.length(1);
    expect(issues({ name: "X", phone: "call me" })).to.have.length(1);
    expect(issues({ name: "X", language: "fr" })).to.have.length(1);
    expect(issues({ name: "X", gender: "f" })).to.have.length(1);
    expect(issues({ name: "X", femaleHeadedHousehold: "yes" })).to.have.length(1);
    expect(farmerUpdateSchema.safeParse({}).success).to.equal(false);
    expect(farmerUpdateSchema.safeParse({ archived: true, zz: 1 }).success).to.equal(false);
  });

  it("shows another cooperative nothing: not read, not listed, not changed", async () => {
    const farmer = await create(SITI);
    expect(await readFarmer(fixture.db, fixture.keystore.records, farmer.id, OTHER_COOP)).to.equal(null);
    const listed = await listFarmers(fixture.db, fixture.keystore.records, { memberId: OTHER_COOP, status: "all", code: farmer.code });
    expect(listed.farmers).to.deep.equal([]);
    const error = await rejection(updateFarmer(fixture.db, fixture.keystore.records, farmer.id, OTHER_COOP, farmerUpdateSchema.parse({ name: "Hacked" })));
    expect(error).to.be.instanceOf(FarmerNotFoundError);
    expect((await readFarmer(fixture.db, fixture.keystore.records, farmer.id, COOP))!.farmer.name).to.equal("Siti Rahmawati");
    expect(await readFarmer(fixture.db, fixture.keystore.records, "f_doesnotexist0000000000000", COOP)).to.equal(null);
    expect(await readFarmer(fixture.db, fixture.keystore.records, "not an id", COOP)).to.equal(null);
  });

  it("updates fields (null clears one), archives and restores", async () => {
    const farmer = await create(SITI);
    const changed = await updateFarmer(fixture.db, fixture.keystore.records, farmer.id, COOP, farmerUpdateSchema.parse({ phone: null, householdSize: 6, village: "Desa Olaya" }));
    expect(changed).to.deep.include({ phone: null, householdSize: 6, village: "Desa Olaya", name: "Siti Rahmawati", nationalId: "7208014501820003", pseudonym: farmer.pseudonym, code: farmer.code });
    expect(changed.updatedAt.getTime()).to.be.at.least(farmer.updatedAt.getTime());
    const archived = await updateFarmer(fixture.db, fixture.keystore.records, farmer.id, COOP, { archived: true });
    expect(archived.archivedAt).to.be.instanceOf(Date);
    const active = await listFarmers(fixture.db, fixture.keystore.records, { memberId: COOP, code: farmer.code });
    expect(active.farmers).to.deep.equal([]);
    const archivedOnes = await listFarmers(fixture.db, fixture.keystore.records, { memberId: COOP, code: farmer.code, status: "archived" });
    expect(archivedOnes.farmers.map((f) => f.id)).to.deep.equal([farmer.id]);
    const restored = await updateFarmer(fixture.db, fixture.keystore.records, farmer.id, COOP, { archived: false });
    expect(restored.archivedAt).to.equal(null);
  });

  it("lists page by page, oldest first, each farmer once; refuses a made-up cursor", async () => {
    const member = 77n;
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await create({ name: `Petani ${i}` }, member)).id);
    const seen: Array<{ id: string; createdAt: Date }> = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await listFarmers(fixture.db, fixture.keystore.records, { memberId: member, limit: 3, after });
      expect(page.farmers.length).to.be.at.most(3);
      seen.push(...page.farmers);
      after = page.next ?? undefined;
      pages++;
    } while (after);
    expect(pages).to.equal(3);
    // Each once, oldest first. Farmers created within one tick of the clock (PGlite's moves in
    // milliseconds) share a time and are listed by id, so creation order is not theirs.
    expect(seen.map((farmer) => farmer.id).sort()).to.deep.equal([...made].sort());
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.createdAt.getTime()).to.be.at.least(seen[i - 1]!.createdAt.getTime());
    expect(await rejection(listFarmers(fixture.db, fixture.keystore.records, { memberId: member, after: "bm90IGEgY3Vyc29y" }))).to.be.instanceOf(FarmerInputError);
  });
});

function generateCode(): string {
  const data = "ABCDEFG";
  return data + farmerCodeCheckSymbol(data);
}
