// Fixtures for the state layer's tests: a fresh temp folder per test and stores of strings.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { serdes, type Serde } from "../serdes/serde.ts";
import { StateFile } from "./state-file.ts";
import type { KeyValueStore } from "./types.ts";

/** A temp folder removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "weir-state-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A state file at `<dir>/app/0_0.sqlite`, closed when the test ends. */
export function openFile(t: TestContext, dir: string, cacheMaxBytes = 1 << 20): StateFile {
  const file = StateFile.open(join(dir, "app", "0_0.sqlite"), { cacheMaxBytes });
  t.after(() => file.close());
  return file;
}

export function stringStore(file: StateFile, name = "counts"): KeyValueStore<string, string> {
  return file.keyValueStore({ name, keySerde: serdes.string(), valueSerde: serdes.string(), changelogTopic: `app-${name}-changelog`, changelogPartition: 0 });
}

export function bytesStore(file: StateFile, name = "raw"): KeyValueStore<Buffer, string> {
  return file.keyValueStore({ name, keySerde: serdes.bytes(), valueSerde: serdes.string(), changelogTopic: `app-${name}-changelog`, changelogPartition: 0 });
}

export const bytesSerde: Serde<Buffer> = serdes.bytes();

export function entries<K, V>(it: Iterable<readonly [K, V]>): [K, V][] {
  return [...it].map(([k, v]) => [k, v]);
}

export function hex(...bytes: number[]): Buffer {
  return Buffer.from(bytes);
}
