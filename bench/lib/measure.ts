// What one run of one system on one workload measured.
export interface Measurement {
  /** Input records processed (or changelog records restored). */
  readonly records: number;
  /** The measured interval: from running (or restore start) to the last input offset committed (or restored). */
  readonly ms: number;
  /** Peak resident memory of the process, when sampled. */
  readonly peakRssBytes?: number;
  /** CPU time (user + system) of the whole process, startup included: steadier than wall time on a shared machine. */
  readonly cpuMs?: number;
  /** The most sockets the process had open at once, when sampled. */
  readonly peakSockets?: number;
  /** Further figures of the run by name (W9: "peak sockets", "commit markers/s"), summarized like records/s. */
  readonly extra?: Readonly<Record<string, number>>;
}

export function perSecond(m: Measurement): number {
  return m.ms > 0 ? (m.records / m.ms) * 1000 : 0;
}
