// A memory limit for one benchmark child, as a container's: a memory cgroup of its own (v1's memory controller or
// v2's memory.max), the child started inside it. Node sizes V8's heap from the memory it is given (the limit, when
// there is one, else the machine's): with 24 GiB and no limit V8 lets the young generation grow to 128 MB, in a
// 1 GiB limit to 32 MB. Creating a cgroup needs root; without it the run fails, saying so.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface MemoryLimit {
  /** The command and arguments that run `command args` inside the limit (the same process: the shell execs it). */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Removes the cgroup (after its process exited). */
  remove(): void;
}

const v1 = "/sys/fs/cgroup/memory";
const v2 = "/sys/fs/cgroup";

export function memoryLimit(name: string, bytes: number): MemoryLimit {
  const dir = create(name, bytes);
  return {
    wrap: (command, args) => ({ command: "/bin/sh", args: ["-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args] }),
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process (a child that outlived the run): the kernel keeps it until then
      }
    },
  };
}

function create(name: string, bytes: number): string {
  try {
    if (existsSync(join(v1, "memory.limit_in_bytes"))) {
      const dir = join(v1, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "memory.limit_in_bytes"), String(bytes));
      return dir;
    }
    if (readFileSync(join(v2, "cgroup.controllers"), "utf8").split(/\s+/).includes("memory")) {
      if (!readFileSync(join(v2, "cgroup.subtree_control"), "utf8").includes("memory")) writeFileSync(join(v2, "cgroup.subtree_control"), "+memory");
      const dir = join(v2, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "memory.max"), String(bytes));
      return dir;
    }
  } catch (err) {
    throw new Error(`a memory limit needs a memory cgroup this process may create (root): ${(err as Error).message}`, { cause: err });
  }
  throw new Error(`a memory limit needs a memory cgroup: neither ${v1} nor a memory controller in ${v2} is there`);
}
