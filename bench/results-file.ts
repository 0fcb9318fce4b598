import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const resultsPath = fileURLToPath(new URL("RESULTS.md", import.meta.url));
const header = `# Benchmark results

Written by \`npm run bench\` (each benchmark rewrites only its own section). Figures are ratios
measured side by side in one run on the same machine; absolute rates are shown for context only.
Timings never decide a test's pass or fail.
`;

/**
 * Replaces one benchmark's section of bench/RESULTS.md, keeping the others, so benchmarks can be run
 * one at a time (`npm run bench -- b1`) without losing earlier figures.
 */
export async function writeResultsSection(id: string, markdown: string): Promise<void> {
  let current = header;
  try {
    current = await readFile(resultsPath, "utf8");
  } catch {
    // First run: start from the header.
  }
  const start = `<!-- ${id}:start -->`;
  const end = `<!-- ${id}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
  const next = pattern.test(current) ? current.replace(pattern, block) : `${current.trimEnd()}\n\n${block}\n`;
  await writeFile(resultsPath, next);
}
