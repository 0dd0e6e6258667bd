/** One setting as one source gave it, already checked: the layers of the config are lists of these. */
export interface ConfigEntry {
  readonly key: string;
  readonly value: unknown;
  /** Where it came from: `herald.yaml:7`, `HERALD_PORT`, `--port` or `default`. */
  readonly source: string;
}
