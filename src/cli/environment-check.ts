// Warns about WEIR_* environment variables Weir does not read (a typo is otherwise ignored silently), naming the
// nearest known one by edit distance.
import { settingVariables } from "../runtime/config.ts";

/** Variables read by Weir's scripts and the `weir` command itself rather than by an app's settings. */
const toolVariables = [
  "WEIR_WORKERS",
  "WEIR_WORKER_INDEX",
  "WEIR_CACHE_DIR",
  "WEIR_NO_REGISTRY",
  "WEIR_NODE_VERSION",
  "WEIR_FORCE_LOCAL_NODE",
  "WEIR_REGISTRY_PORT",
  "WEIR_REGISTRY_JAVA_OPTS",
  "WEIR_REGISTRY_START_TIMEOUT",
  "WEIR_TEST_LOG_DIR",
  "WEIR_TEST_HOLD_RESTORE_FILE",
  "WEIR_TEST_KAFKA_CLIENTS",
  "WEIR_TEST_CONTAINERS",
  "WEIR_CONTAINER_TESTS",
  "WEIR_DOCKER_START_TIMEOUT",
  "WEIR_DEBIAN_MIRROR",
  "WEIR_IMAGE",
  "WEIR_KAFKA_IMAGE",
  "WEIR_REGISTRY_IMAGE",
  "WEIR_PROMETHEUS_IMAGE",
  "WEIR_PROMETHEUS_CONFIG",
  "WEIR_PROMETHEUS_PORT",
  "WEIR_GRAFANA_PORT",
  "WEIR_KAFKA_HOST",
  "WEIR_KAFKA_PORT",
  "WEIR_KAFKA_CONTROLLER_PORT",
  "WEIR_1_PORT",
  "WEIR_2_PORT",
];

export interface UnknownVariable {
  readonly name: string;
  /** The known variable nearest by edit distance, when one is near enough to be the intended one. */
  readonly nearest: string | undefined;
}

/** Levenshtein distance: the fewest one-character insertions, deletions and substitutions from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The set WEIR_* variables that no setting or tool reads. */
export function unknownWeirVariables(env: NodeJS.ProcessEnv, known: readonly string[] = [...settingVariables(), ...toolVariables]): UnknownVariable[] {
  const unknown: UnknownVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("WEIR_") || known.includes(name)) continue;
    let nearest: string | undefined;
    let best = Infinity;
    for (const candidate of known) {
      const distance = editDistance(name, candidate);
      if (distance < best) [best, nearest] = [distance, candidate];
    }
    // Beyond a third of the name's length the "nearest" one is a guess that would mislead.
    unknown.push({ name, nearest: best <= Math.max(2, Math.floor(name.length / 3)) ? nearest : undefined });
  }
  return unknown;
}

export function unknownVariableWarning(variable: UnknownVariable): string {
  const hint = variable.nearest ? `did you mean ${variable.nearest}?` : "see README.md, Configuration, for the known ones";
  return `weir: warning: ${variable.name} is not a Weir variable and is ignored; ${hint}`;
}
