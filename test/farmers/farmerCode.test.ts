import { expect } from "chai";
import { CROCKFORD_ALPHABET, farmerCodeCheckSymbol, formatFarmerCode, generateFarmerCode, parseFarmerCode } from "../../src/farmers";
import { mulberry32 } from "../helpers/seededRandom";

describe("farmer card codes", () => {
  const codes = Array.from({ length: 200 }, () => generateFarmerCode());

  it("are 8 symbols of Crockford base32 (no I, L, O, U) that pass their own check", () => {
    expect(CROCKFORD_ALPHABET).to.have.length(32);
    expect(CROCKFORD_ALPHABET).not.to.match(/[ILOU]/);
    for (const code of codes) {
      expect(code).to.match(/^[0-9A-HJKMNP-TV-Z]{8}$/);
      expect(parseFarmerCode(code)).to.deep.equal({ ok: true, code });
      expect(farmerCodeCheckSymbol(code.slice(0, 7))).to.equal(code[7]);
    }
    expect(new Set(codes).size).to.equal(codes.length);
  });

  it("read as typed: lower case, hyphens and spaces, O for 0 and I or L for 1", () => {
    const code = `${"10K0"}${"1AB"}`;
    const full = code + farmerCodeCheckSymbol(code);
    expect(formatFarmerCode(full)).to.equal(`${full.slice(0, 4)}-${full.slice(4)}`);
    expect(parseFarmerCode(` ${formatFarmerCode(full).toLowerCase()} `)).to.deep.equal({ ok: true, code: full });
    expect(parseFarmerCode(`IOKO-${full.slice(4)}`)).to.deep.equal({ ok: true, code: full });
    expect(parseFarmerCode(`lOK0 ${full.slice(4)}`)).to.deep.equal({ ok: true, code: full });
  });

  it("catch every one-symbol typo", () => {
    for (const code of codes.slice(0, 40)) {
      for (let at = 0; at < code.length; at++) {
        for (const symbol of CROCKFORD_ALPHABET) {
          if (symbol === code[at]) continue;
          const typo = code.slice(0, at) + symbol + code.slice(at + 1);
          const parsed = parseFarmerCode(typo);
          expect(parsed.ok, `${code} -> ${typo}`).to.equal(false);
          if (!parsed.ok) expect(parsed.reason).to.contain("check symbol does not match");
        }
      }
    }
  });

  it("catch every swap of two neighbours, and of two symbols one apart", () => {
    let swaps = 0;
    for (const code of codes) {
      for (const distance of [1, 2]) {
        for (let at = 0; at + distance < code.length; at++) {
          const chars = [...code];
          if (chars[at] === chars[at + distance]) continue;
          [chars[at], chars[at + distance]] = [chars[at + distance]!, chars[at]!];
          expect(parseFarmerCode(chars.join("")).ok, `${code} -> ${chars.join("")}`).to.equal(false);
          swaps++;
        }
      }
    }
    expect(swaps).to.be.greaterThan(2_000);
  });

  it("catch random garbage almost always (about 1 in 32 passes, as for any one check symbol)", () => {
    const random = mulberry32(42);
    let passed = 0;
    for (let i = 0; i < 3_200; i++) {
      const text = Array.from({ length: 8 }, () => CROCKFORD_ALPHABET[Math.floor(random() * 32)]).join("");
      if (parseFarmerCode(text).ok) passed++;
    }
    expect(passed).to.be.within(50, 150);
  });

  it("name what is wrong: length, a symbol outside the alphabet", () => {
    const short = parseFarmerCode("7K3Q-M9T");
    expect(short).to.deep.equal({ ok: false, reason: "a farmer code has 8 symbols (XXXX-XXXX); this one has 7" });
    const u = parseFarmerCode("7K3Q-M9TU");
    expect(u.ok).to.equal(false);
    if (!u.ok) expect(u.reason).to.contain('"U" is not a symbol');
    expect(parseFarmerCode("").ok).to.equal(false);
    expect(parseFarmerCode("7K3Q_M9TX").ok).to.equal(false);
  });
});
