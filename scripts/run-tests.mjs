#!/usr/bin/env node
/**
 * Runs every `*.test.ts` in the repository with Node's own test runner (through tsx), so that
 * `npm test` needs no extra framework. Node 20 cannot expand globs in `--test`, hence this file list.
 * Files run one at a time: the end-to-end suites each start the whole system (seven services with
 * their pools), and two at once would exceed a default Postgres's 100 connections on a small machine.
 * Pass paths or substrings as arguments to run a subset: `npm test -- services/product`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const skipDirs = new Set(["node_modules", ".git", "gen"]);

function findTests(dir, found = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name)) findTests(join(dir, entry.name), found);
    } else if (entry.name.endsWith(".test.ts")) {
      found.push(relative(root, join(dir, entry.name)));
    }
  }
  return found;
}

const filters = process.argv.slice(2);
const files = findTests(root)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(" ")}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
  { cwd: root, stdio: "inherit" },
);
process.exit(result.status ?? 1);
