// Which serdes read and write a topic for `weir produce` and `weir tail`: those of the topology module that reads
// or writes it, a serde named on the command line, or, with neither, text and JSON as they look.
import type { AppDefinition } from "../runtime/app-definition.ts";
import { WeirError } from "../runtime/errors.ts";
import { serdes, type Serde } from "../serdes/index.ts";

export interface TopicSerdes {
  readonly key: Serde<unknown>;
  readonly value: Serde<unknown>;
}

/**
 * With no serde known: writes a string as its UTF-8 text and anything else as JSON; reads bytes that are UTF-8
 * as JSON when they parse, as text otherwise, and other bytes as a Buffer (printed as base64).
 */
export const textOrJson: Serde<unknown> = {
  name: "text-or-json",
  serialize: (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value), "utf8"),
  deserialize: (data) => {
    const text = data.toString("utf8");
    if (!Buffer.from(text, "utf8").equals(data)) return data;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  },
};

const plain: Record<string, () => Serde<unknown>> = {
  string: () => serdes.string(),
  json: () => serdes.json(),
  int64: () => serdes.int64(),
  float64: () => serdes.float64(),
  bytes: () => serdes.bytes(),
};

export const serdeNames = "string, json, int64, float64, bytes, windowed(<one of those>), sessionWindowed(<…>)";

/** A serde from its name as `describe()` prints it: `string`, `int64`, `windowed(string)`, `sessionWindowed(json)`, … */
export function serdeByName(name: string): Serde<unknown> {
  const windowedMatch = /^(windowed|sessionWindowed)\((\w+)\)$/.exec(name);
  if (windowedMatch) {
    const inner = serdeByName(windowedMatch[2]!);
    return (windowedMatch[1] === "windowed" ? serdes.windowed(inner) : serdes.sessionWindowed(inner));
  }
  const make = plain[name];
  if (!make) throw new WeirError("WEIR_CONFIG_INVALID", `unknown serde "${name}"; known: ${serdeNames}`);
  return make();
}

/** The serdes the module's topology reads `topic` with (a source or a global table) or, failing that, writes it with (a sink). */
export function topologySerdes(definition: AppDefinition, topic: string): TopicSerdes | undefined {
  const id = definition.settings.applicationId;
  const topology = id === undefined ? definition.topology : definition.topology.forApplication(id);
  const nodes = topology.subTopologies.flatMap((s) => s.nodes);
  for (const node of nodes) {
    if (node.kind === "source" && node.topics.includes(topic)) return { key: node.keySerde, value: node.valueSerde };
  }
  const global = topology.globalStores.find((s) => s.global?.topic === topic);
  if (global) return { key: global.keySerde, value: global.valueSerde };
  for (const node of nodes) {
    if (node.kind === "sink" && node.topic === topic) return { key: node.keySerde, value: node.valueSerde };
  }
  return undefined;
}

/** Every topic a module's topology needs on the cluster: its inputs, its global tables' topics and its fixed outputs. */
export function topologyTopics(definition: AppDefinition): string[] {
  const id = definition.settings.applicationId;
  const topology = id === undefined ? definition.topology : definition.topology.forApplication(id);
  return [...new Set([...topology.externalSourceTopics(), ...topology.globalTopics(), ...topology.sinkTopics()])];
}

export interface SerdeChoice {
  readonly definition?: AppDefinition;
  readonly modulePath?: string;
  readonly keySerde?: string;
  readonly valueSerde?: string;
}

/** A serde named on the command line wins; then the module's for that topic; then text-or-JSON. */
export function chooseSerdes(topic: string, choice: SerdeChoice): TopicSerdes {
  const fromModule = choice.definition ? topologySerdes(choice.definition, topic) : undefined;
  if (choice.definition && !fromModule && (choice.keySerde === undefined || choice.valueSerde === undefined)) {
    const known = topologyTopics(choice.definition).join(", ");
    throw new WeirError(
      "WEIR_CONFIG_INVALID",
      `the topology of ${choice.modulePath} neither reads nor writes ${topic} (its topics: ${known}); name the serdes with --key-serde and --value-serde`,
    );
  }
  return {
    key: choice.keySerde !== undefined ? serdeByName(choice.keySerde) : (fromModule?.key ?? textOrJson),
    value: choice.valueSerde !== undefined ? serdeByName(choice.valueSerde) : (fromModule?.value ?? textOrJson),
  };
}
