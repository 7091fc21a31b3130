/** A test server the global setup made available: started here, or already running elsewhere. */
export interface TestServer {
  readonly name: string;
  /** Environment variables that tell the test processes how to reach it. */
  readonly env: Record<string, string>;
  /** Where it came from, for the setup log (`started …` or `using …`). */
  readonly origin: string;
  /** Stops it and removes its temporary files (a no-op for servers we did not start). */
  stop(): Promise<void>;
}

/** Line logger of the global setup. */
export type SetupLog = (line: string) => void;
