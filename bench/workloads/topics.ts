// The topics a benchmark topology reads and writes, from the environment bench/run.ts sets for its child.
export function topic(name: "BENCH_INPUT" | "BENCH_OUTPUT"): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must name the topic (bench/run.ts sets it)`);
  return value;
}
