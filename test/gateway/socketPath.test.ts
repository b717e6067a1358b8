import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { sendControlCommand } from "../../src/gateway/controlClient";
import { reachableSocketPath } from "../../src/gateway/socketPath";

describe("control socket paths: a data dir deep in a file system", function () {
  let root: string;
  beforeEach(function () {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "socket-path-"));
  });
  afterEach(function () {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("keeps a short path as it is", function () {
    const file = path.join(root, "gateway.sock");
    const reachable = reachableSocketPath(file);
    expect(reachable.path).to.equal(file);
    reachable.release();
  });

  it("binds and answers a socket whose path is longer than the kernel takes, in its own directory, and leaves no link behind", async function () {
    const deep = path.join(root, ..."a-directory-several-levels-down-as-a-ci-runner-makes-it-in-its-workspace-for-each-job".split("-"), "data");
    fs.mkdirSync(deep, { recursive: true });
    const file = path.join(deep, "gateway.sock");
    expect(Buffer.byteLength(file)).to.be.greaterThan(108);

    // Bound at the long path itself, the socket is not there (libuv cuts the path to what the
    // kernel takes, and binds somewhere else): what the gateway had to refuse before.
    const direct = http.createServer();
    await new Promise<void>((resolve) => {
      direct.once("error", () => resolve());
      direct.listen(file, () => resolve());
    });
    await new Promise((resolve) => direct.close(resolve));
    expect(fs.existsSync(file), "a socket bound at the long path itself").to.equal(false);

    const server = http.createServer((req, res) => res.end(JSON.stringify({ asked: req.url })));
    const bound = reachableSocketPath(file);
    expect(Buffer.byteLength(bound.path)).to.be.at.most(100);
    expect(fs.statSync(path.dirname(path.dirname(bound.path))).mode & 0o777, "the link's directory is private").to.equal(0o700);
    await new Promise<void>((resolve) => server.listen(bound.path, resolve));
    bound.release();
    try {
      expect(fs.statSync(file).isSocket(), "the socket is in the data dir").to.equal(true);
      expect(fs.existsSync(path.dirname(path.dirname(bound.path))), "the link is gone once bound").to.equal(false);
      const tmpBefore = fs.readdirSync(path.dirname(path.dirname(path.dirname(bound.path)))).filter((name) => name.startsWith("firstmile-sock-")).length;
      const answer = await sendControlCommand(file, "GET", "/members");
      expect(answer).to.deep.equal({ status: 200, body: { asked: "/members" } });
      const tmpAfter = fs.readdirSync(path.dirname(path.dirname(path.dirname(bound.path)))).filter((name) => name.startsWith("firstmile-sock-")).length;
      expect(tmpAfter, "the client's link is removed too").to.equal(tmpBefore);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // No gateway there any more: null, as for a data dir with no gateway running.
    fs.rmSync(file, { force: true });
    expect(await sendControlCommand(file, "GET", "/members")).to.equal(null);
  });
});
