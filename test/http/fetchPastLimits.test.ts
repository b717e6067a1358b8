import { expect } from "chai";
import { requestPace } from "../../src/http/fetchPastLimits";

describe("a client's request pace", () => {
  it("lets a burst through at once, then spaces requests at the rate", async () => {
    const pace = requestPace(200, 5);
    const started = performance.now();
    const at: number[] = [];
    await Promise.all(Array.from({ length: 25 }, () => pace().then(() => at.push(performance.now() - started))));
    at.sort((a, b) => a - b);
    // The first five need no timer; each one after them leaves 5 ms after the one before at the
    // earliest (a late timer may let two go together, never one early; the clock's millisecond
    // rounding allows 2 ms).
    expect(at[4]).to.be.below(20);
    for (let i = 5; i < 25; i++) expect(at[i], `request ${i}`).to.be.at.least((i - 4) * 5 - 2);
  });

  it("gives the burst back after an idle moment", async () => {
    const pace = requestPace(100, 3);
    for (let i = 0; i < 3; i++) await pace();
    await new Promise((resolve) => setTimeout(resolve, 40));
    const started = performance.now();
    await Promise.all([pace(), pace(), pace()]);
    expect(performance.now() - started).to.be.below(10);
  });
});
