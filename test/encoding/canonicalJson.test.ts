import { expect } from "chai";
import { canonicalJson } from "../../src/encoding/canonicalJson";

describe("canonicalJson", () => {
  it("gives equal values the same text, whatever the order of their keys", () => {
    const a = { kind: "lots.mint", payload: { grams: 5n, form: 1, nested: [{ b: 2, a: 1 }] } };
    const b = { payload: { nested: [{ a: 1, b: 2 }], form: 1, grams: 5n }, kind: "lots.mint" };
    expect(canonicalJson(a)).to.equal(canonicalJson(b));
    expect(canonicalJson(a)).to.equal('{"kind":"lots.mint","payload":{"form":1,"grams":"5","nested":[{"a":1,"b":2}]}}');
  });

  it("leaves undefined members out, keeps null, and keeps the order of arrays", () => {
    expect(canonicalJson({ a: undefined, b: null, c: [3, 1, 2] })).to.equal('{"b":null,"c":[3,1,2]}');
    expect(canonicalJson(undefined)).to.equal("null");
    expect(canonicalJson("x\"y")).to.equal('"x\\"y"');
    expect(canonicalJson({ z: 1, y: 2 })).not.to.equal(canonicalJson({ z: 2, y: 1 }));
  });
});
