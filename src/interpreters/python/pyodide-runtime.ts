/**
 * Process-wide, read-only pieces shared by every Pyodide isolate: the distribution, the wasm module
 * compiled once on the host with its memory capped, `ExternalCopy`s of the files, and the V8 code
 * cache of the bundle. Nothing here is tenant-specific.
 *
 * The compiled module is kept as a host `WebAssembly.Module` and an `ExternalCopy` of it is made
 * per isolate, just before it is transferred ({@link wasmModuleTransfer}); never a long-lived one.
 * Why: every compiled wasm module (V8 `NativeModule`) holds a token on V8's wasm-engine barrier
 * until it is freed, and `V8::Dispose` at process exit waits for all tokens. An `ExternalCopy`
 * keeps the module alive from C++, and isolated-vm does not free handles still alive when the main
 * isolate is torn down, so a long-lived copy made every host process hang on exit. The host
 * `WebAssembly.Module` itself is freed with the main isolate's heap, before `V8::Dispose`.
 *
 * @module
 */
import type ivm from 'isolated-vm';
import { isolatedVm } from '../../platform/isolated-vm.js';
import { loadPyodideDistribution, type PyodideDistribution } from './pyodide-bundle.js';
import { capWasmMemory, WASM_PAGE_BYTES } from './wasm-memory-cap.js';

/** Shared host-side state for isolates whose Pyodide memory is capped at `wasmMaxPages`. */
export interface PyodideRuntime {
  readonly dist: PyodideDistribution;
  /** Hard cap of Pyodide's linear memory, in wasm pages. */
  readonly wasmMaxPages: number;
  /** Identifies everything a snapshot depends on: distribution, our sources and the cap. */
  readonly key: string;
  /**
   * The capped module, compiled once in the host isolate; see {@link wasmModuleTransfer}. Compiling
   * starts with the runtime and goes on in V8's background threads while the engine reads the
   * snapshot, the code cache and the wheels (it awaits all of them together).
   */
  readonly wasmModule: Promise<WebAssembly.Module>;
  readonly stdlib: ivm.ExternalCopy<ArrayBuffer>;
  /** Set after the first isolate compiled the bundle, or loaded from the disk cache. */
  codeCache: ivm.ExternalCopy<ArrayBuffer> | undefined;
  /** True when `codeCache` is on disk already (loaded from there, or written once). */
  codeCacheFromDisk?: boolean;
  /**
   * True when `codeCache` was made after an isolate booted from a snapshot, so that it holds the
   * functions a boot compiles (V8 compiles most of the bundle lazily); one made at compile time holds
   * only the top level. A cache loaded from disk was written warm.
   */
  codeCacheWarm?: boolean;
}

/** The host's WebAssembly API (typed here because the project's lib has no DOM types). */
function wasmApi(): { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } {
  return (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WebAssembly.Module> } }).WebAssembly;
}

const runtimes = new Map<number, Promise<PyodideRuntime>>();

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * The runtime for a memory cap, created once per process and cap.
 * `wasmMaxBytes` is rounded up to whole wasm pages.
 */
export function getPyodideRuntime(wasmMaxBytes: number): Promise<PyodideRuntime> {
  const pages = Math.ceil(wasmMaxBytes / WASM_PAGE_BYTES);
  let runtime = runtimes.get(pages);
  if (!runtime) {
    const forget = (e: unknown): never => {
      if (runtimes.get(pages) === runtime) runtimes.delete(pages); // a later call may succeed
      throw e;
    };
    runtime = createRuntime(pages, forget).catch(forget);
    runtimes.set(pages, runtime);
  }
  return runtime;
}

async function createRuntime(wasmMaxPages: number, onCompileError: (e: unknown) => never): Promise<PyodideRuntime> {
  const dist = await loadPyodideDistribution();
  const capped = capWasmMemory(dist.wasm, wasmMaxPages);
  // Compiled once; each isolate receives a copy of the module (compiled code is shared by V8).
  const wasmModule = wasmApi().compile(capped.bytes).catch(onCompileError);
  wasmModule.catch(() => {}); // reported to whoever awaits it (the next isolate's boot), not as unhandled
  return {
    dist,
    wasmMaxPages,
    key: `${dist.runtimeHash.slice(0, 24)}-${wasmMaxPages}`,
    wasmModule,
    stdlib: new (isolatedVm().ExternalCopy)(toArrayBuffer(dist.stdlib)),
    codeCache: undefined,
  };
}

/**
 * A single-use transferable of the runtime's compiled module for one `apply` into an isolate.
 * Make it immediately before the call that consumes it: the transfer moves the only C++ reference
 * into the isolate, so nothing outside isolates keeps the module alive (see the module docs).
 * A transferable that is made but never passed to a call holds the module until it is garbage
 * collected, and a process exiting before that would hang in `V8::Dispose`.
 */
export function wasmModuleTransfer(wasmModule: WebAssembly.Module): ivm.Copy<WebAssembly.Module> {
  return new (isolatedVm().ExternalCopy)(wasmModule).copyInto({ release: true });
}
