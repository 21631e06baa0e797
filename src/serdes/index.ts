// Serdes: how keys and values become bytes and back.
export { serdes, SerdeError, type Serde } from "./serde.ts";
export type { WindowedSerde } from "./windowed.ts";
