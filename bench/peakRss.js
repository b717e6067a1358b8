// Runs a command and reports its wall-clock time, CPU time and the peak resident memory of its
// whole process tree (the command and every process it starts, e.g. a node it spawns):
//   node bench/peakRss.js OUT.json -- command args...
// The tree's resident set is summed from /proc every 20 ms; a single process's own high-water mark
// (VmHWM) also counts, so a peak between two samples is not missed when one process holds it.
// Writes {seconds, cpu_s, peak_rss_mb} to OUT.json; exits with the command's status.
const fs = require("node:fs");
const { spawn } = require("node:child_process");
const { children } = require("./procChildren");

const [out, dashes, command, ...args] = process.argv.slice(2);
if (!out || dashes !== "--" || !command) {
  console.error("usage: node bench/peakRss.js OUT.json -- command args...");
  process.exit(2);
}

const PAGE_KB = 4;

/** KB resident (from statm) and the high-water mark (VmHWM) of one process; zeros once it is gone. */
function memory(pid) {
  try {
    const statm = fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ");
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { rss: Number(statm[1]) * PAGE_KB, hwm: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** CPU seconds (user + system) of one process itself, from /proc/PID/stat (each process of the tree is summed once). */
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based); here offset by the two skipped.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

const started = process.hrtime.bigint();
const child = spawn(command, args, { stdio: "inherit" });
let peakKb = 0;
const cpu = new Map();
const sample = () => {
  const tree = [child.pid];
  for (let i = 0; i < tree.length; i++) tree.push(...children(tree[i]));
  let sum = 0;
  for (const pid of tree) {
    const { rss, hwm } = memory(pid);
    sum += rss;
    peakKb = Math.max(peakKb, hwm);
    cpu.set(pid, Math.max(cpu.get(pid) ?? 0, cpuSeconds(pid)));
  }
  peakKb = Math.max(peakKb, sum);
};
const timer = setInterval(sample, 20);
child.on("exit", (code, signal) => {
  clearInterval(timer);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const figures = { seconds, cpu_s: [...cpu.values()].reduce((a, b) => a + b, 0), peak_rss_mb: peakKb / 1024 };
  fs.writeFileSync(out, JSON.stringify(figures));
  process.exit(code ?? (signal ? 1 : 0));
});
