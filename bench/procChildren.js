// The pids of a process's children, from /proc (every thread's list): empty once it has exited.
// Plain JavaScript, as bench/peakRss.js runs without the TypeScript loader.
const fs = require("node:fs");

function children(pid) {
  const found = [];
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) found.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // exited meanwhile
  }
  return found;
}

module.exports = { children };
