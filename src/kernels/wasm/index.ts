// The WASM SIMD backend in Node (./instance.ts is the backend itself): reads the kernels — the
// relaxed-SIMD build when the runtime has relaxed SIMD, else the baseline one — rebuilding them
// when missing or stale, and runs partitioned kernels on worker_threads (./threads.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { instantiateWasmBackend, RELAXED_PROBE, wasmFileName, type WasmBackend, type WasmOptions } from './instance.ts';
import { startNodeThreads } from './threads.ts';
import { WebAssemblyApi } from './webassembly.ts';

export type { WasmBackend, WasmOptions } from './instance.ts';

const wasmFile = (relaxed: boolean): string => fileURLToPath(new URL(`./${wasmFileName(relaxed)}`, import.meta.url));
const assemblyDir = fileURLToPath(new URL('./assembly/', import.meta.url));
const buildScript = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));

/** Newest modification time of the AssemblyScript sources and build script (0 if not shipped). */
function sourcesMtime(): number {
  if (!existsSync(assemblyDir)) return 0;
  let t = existsSync(buildScript) ? statSync(buildScript).mtimeMs : 0;
  for (const f of readdirSync(assemblyDir)) if (f.endsWith('.ts')) t = Math.max(t, statSync(assemblyDir + f).mtimeMs);
  return t;
}

function build(): string | null {
  if (!existsSync(buildScript)) return `build script ${buildScript} not found`;
  const r = spawnSync(process.execPath, [buildScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return r.status === 0 ? null : `${r.stderr || r.stdout || r.error?.message || `exit ${r.status}`}`.trim();
}

/** The kernels' bytes, (re)building them first when missing or older than their sources. */
function wasmBytes(relaxed: boolean): Uint8Array {
  const wasmPath = wasmFile(relaxed);
  const have = existsSync(wasmPath);
  if (!have || statSync(wasmPath).mtimeMs < sourcesMtime()) {
    const err = build();
    if (err && !have) {
      throw new Error(
        `WASM kernels not found at ${wasmPath} and building them failed:\n${err}\n` +
          'Run `node scripts/build-wasm.mjs` (needs the assemblyscript dev dependency).',
      );
    }
    if (err) process.emitWarning(`rulebench: rebuilding stale ${wasmPath} failed, using the old build: ${err}`);
  }
  return readFileSync(wasmPath);
}

/**
 * Whether to use the relaxed-SIMD build. RULEBENCH_WASM_SIMD=baseline forces plain SIMD,
 * =relaxed requires relaxed SIMD; by default it is used when the runtime has it. Node 20 has it
 * behind a V8 flag, which is switched on here before the module is compiled (the flag only
 * governs what WebAssembly validation accepts).
 */
export function useRelaxedSimd(mode: string | undefined = process.env.RULEBENCH_WASM_SIMD): boolean {
  if (mode === 'baseline') return false;
  if (mode !== undefined && mode !== 'relaxed' && mode !== 'auto') {
    throw new Error(`RULEBENCH_WASM_SIMD: unknown value "${mode}"; accepted: auto, relaxed, baseline`);
  }
  const validate = (b: Uint8Array) => WebAssemblyApi.validate(b);
  if (!validate(RELAXED_PROBE)) setFlagsFromString('--experimental-wasm-relaxed-simd');
  const ok = validate(RELAXED_PROBE);
  if (!ok && mode === 'relaxed') throw new Error('RULEBENCH_WASM_SIMD=relaxed: this runtime has no relaxed SIMD');
  return ok;
}

let cached: WasmBackend | null = null;
const compiled = new Map<boolean, object>();

/** The WASM SIMD backend (one instance per thread; options apply to the first call). */
export function loadWasmBackend(options: WasmOptions = {}): WasmBackend {
  if (!cached) cached = createWasmBackend(options);
  return cached;
}

/** A fresh, independent WASM backend with its own memory (tests, or a second memory budget). */
export function createWasmBackend(options: WasmOptions = {}): WasmBackend {
  const relaxed = options.relaxed ?? useRelaxedSimd();
  let module = compiled.get(relaxed);
  if (!module) compiled.set(relaxed, (module = new WebAssemblyApi.Module(wasmBytes(relaxed))));
  return instantiateWasmBackend(module, relaxed, options, {
    startThreads: startNodeThreads,
    warn: (message) => process.emitWarning(message),
  });
}
