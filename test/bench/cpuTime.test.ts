import { expect } from "chai";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { ownCpuSeconds, parentPid, processTreeCpuSeconds } from "../../bench/cpuTime";

describe("bench/cpuTime: CPU of a process tree from /proc", function () {
  it("counts a child's CPU and its exited grandchild's, and names the parent", async function () {
    // A shell whose child burns about 0.4 s of CPU and exits; the shell waits for it, then sleeps.
    const burn = `${JSON.stringify(process.execPath)} -e "const end = process.cpuUsage().user + 400000; while (process.cpuUsage().user < end);"`;
    const shell = spawn("sh", ["-c", `${burn}; echo burnt; sleep 5`], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      expect(parentPid(shell.pid!)).to.equal(process.pid);
      await once(shell.stdout!, "data"); // the grandchild has exited and been waited for
      const seconds = processTreeCpuSeconds(shell.pid!);
      expect(seconds).to.be.at.least(0.35);
      expect(seconds).to.be.below(5);
    } finally {
      shell.kill("SIGKILL");
    }
  });

  it("counts this process's own CPU, and nothing for a process that is gone", function () {
    const before = ownCpuSeconds();
    const end = process.cpuUsage().user + 100_000;
    while (process.cpuUsage().user < end);
    expect(ownCpuSeconds() - before).to.be.at.least(0.09);
    expect(processTreeCpuSeconds(2 ** 22 + 12_345)).to.equal(0); // above the kernel's pid limit
    expect(parentPid(2 ** 22 + 12_345)).to.equal(null);
  });
});
