import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const moduleUrl = new URL("./buffered-stdout.ts", import.meta.url).href;
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * Runs `ending` in a fresh Node process after it wrote `count` numbered lines through
 * createBufferedStdout in one turn, and returns what reached its stdout (a pipe).
 */
function runWriter(count: number, ending: string) {
  const script = `
    import { createBufferedStdout } from ${JSON.stringify(moduleUrl)};
    const out = createBufferedStdout();
    for (let i = 0; i < ${count}; i++) out.write("line " + i + "\\n");
    ${ending}
  `;
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return { lines: result.stdout.split("\n").filter(Boolean), status: result.status, stderr: result.stderr };
}

function numberedLines(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `line ${i}`);
}

describe("createBufferedStdout", () => {
  it("writes every line, in order, when the process ends on its own", () => {
    const { lines, status } = runWriter(5000, "");
    assert.equal(status, 0);
    assert.deepEqual(lines, numberedLines(5000));
  });

  it("keeps the lines of the last turn when the process calls exit in that turn", () => {
    const { lines, status } = runWriter(300, "process.exit(3);");
    assert.equal(status, 3);
    assert.deepEqual(lines, numberedLines(300));
  });

  it("keeps the lines written just before an uncaught exception", () => {
    const { lines, status, stderr } = runWriter(300, 'throw new Error("boom");');
    assert.equal(status, 1);
    assert.match(stderr, /boom/);
    assert.deepEqual(lines, numberedLines(300));
  });

  it("flushSync writes what waits at once, as logger.fatal needs before exiting", () => {
    const { lines } = runWriter(50, "out.flushSync(); process.reallyExit(0);");
    assert.deepEqual(lines, numberedLines(50));
  });
});
