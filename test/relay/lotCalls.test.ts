import { expect } from "chai";
import { lotCallSchemas } from "../../src/relay/lotCalls";

const digest = `0x${"ab".repeat(32)}`;
const delivery = { form: 1, grams: "1000", metadata: digest, origin: digest };
const output = { form: 2, grams: "400", metadata: digest };

describe("lot call schemas", () => {
  it("refuse an unknown key inside a list item as they refuse one at the top level, naming where it is", () => {
    const cases = [
      { kind: "lots.mint", body: { ...delivery, colour: "red" }, path: "" },
      { kind: "lots.mintBatch", body: { deliveries: [delivery, { ...delivery, colour: "red" }] }, path: "deliveries.1" },
      { kind: "lots.split", body: { lotId: "5", parts: [{ ...output, colour: "red" }, output] }, path: "parts.0" },
      { kind: "lots.transform", body: { inputIds: ["5"], outputs: [output, { ...output, colour: "red" }] }, path: "outputs.1" },
    ] as const;
    for (const { kind, body, path } of cases) {
      const parsed = lotCallSchemas[kind].safeParse(body);
      expect(parsed.success, kind).to.equal(false);
      const issue = parsed.error!.issues[0]!;
      expect({ code: issue.code, path: issue.path.join("."), keys: (issue as { keys?: string[] }).keys }, kind).to.deep.equal({ code: "unrecognized_keys", path, keys: ["colour"] });
    }
  });

  it("accept the same items without the unknown key", () => {
    expect(lotCallSchemas["lots.mintBatch"].safeParse({ deliveries: [delivery, delivery] }).success).to.equal(true);
    expect(lotCallSchemas["lots.split"].safeParse({ lotId: "5", parts: [output, output] }).success).to.equal(true);
    expect(lotCallSchemas["lots.transform"].safeParse({ inputIds: ["5"], outputs: [output] }).success).to.equal(true);
  });
});
