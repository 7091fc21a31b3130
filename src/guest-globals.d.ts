/**
 * Globals of the realms guest code runs in (see src/guest-source.ts), for `tsconfig.guest.json`.
 * The guest program has no Node or DOM types: only ECMAScript, and what is declared here. Each
 * declaration says which realm has it; the realms share one program, so a name declared for one is
 * visible to the files of the others too (keep these few, and realm-specific names prefixed).
 */

// ---- Every realm: V8 (isolated-vm) or QuickJS.

/** The console each realm's prelude or runtime installs (guest console, QuickJS console, Pyodide boot log). */
declare var console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  trace?(...args: unknown[]): void;
};

/** ES2025 (explicit resource management): present in newer V8s only, so guest code tests for it. */
declare var SuppressedError: ErrorConstructor | undefined;

// ---- QuickJS (interpreters/javascript-guest): the tenant script's global.

/** What a JavaScriptInterpreter script leaves as its result; read by the prelude after the script ran. */
declare var result: unknown;

// ---- Pyodide isolate (interpreters/python/guest): V8's WebAssembly, and the d8 "shell" globals the prelude defines.

/** The little of V8's WebAssembly API the Pyodide prelude wraps (the isolate has the full one). */
declare namespace WebAssembly {
  type ImportValue = unknown;
  type Imports = Record<string, Record<string, ImportValue>>;
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Module {
    constructor(bytes: ArrayBuffer | ArrayBufferView);
    static imports(module: Module): unknown[];
    static exports(module: Module): unknown[];
    static customSections(module: Module, name: string): ArrayBuffer[];
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  function instantiate(source: unknown, imports?: Imports): Promise<unknown>;
  function compile(bytes: unknown): Promise<Module>;
  let compileStreaming: unknown;
  let instantiateStreaming: unknown;
}

/** d8's `read(path, mode)`, over the prelude's in-isolate file map. */
declare function read(path: string, mode?: 'binary'): string | Uint8Array;
