/**
 * The fast group backend behind group.ts: libsecp256k1, as a native addon
 * (native.ts, the `secp256k1` package) when its binary loads, else compiled to
 * WebAssembly (the `tiny-secp256k1` package, bitcoinjs), on byte encodings.
 *
 * Why: @noble/secp256k1 does an arbitrary-point multiplication in pure-bigint
 * JavaScript (~10× slower than libsecp256k1 in WASM on Node 20, ~40× slower
 * than native), and a custodian does three of them per envelope (docs/PROTOCOL.md
 * §3.3). group.ts keeps noble's `Point` as its point type and calls this
 * module only for the expensive steps (multiplications, decompression,
 * BIP340); noble stays the reference (tests cross-check every operation of
 * both fast backends) and the last fallback.
 *
 * Constant time: secret-scalar products go through libsecp256k1's
 * `secp256k1_ec_pubkey_tweak_mul` (`ecmult_const`) and `secp256k1_ec_pubkey_create`
 * (`ecmult_gen`), both constant time; BIP340 signing is libsecp256k1's
 * `schnorrsig_sign32` (WASM in both cases).
 *
 * Selection, once per process at start-up (DEFAULT_BACKEND): native, else
 * WASM, else noble. `CUSTODES_CRYPTO_BACKEND=wasm` skips native, `=noble`
 * uses noble alone. Nothing switches it later: code that needs another
 * backend (the cross-check tests, the bench's comparison) asks `loadBackend`
 * for it and builds its own group operations over it (group.ts `createGroup`),
 * or runs a child process with the variable set.
 */
import { createRequire } from 'node:module';
import { loadNative } from './native';

// ## The WASM module's surface used here (tiny-secp256k1 2.x)

interface TinySecp256k1 {
  isPoint(p: Uint8Array): boolean;
  isXOnlyPoint(p: Uint8Array): boolean;
  pointCompress(p: Uint8Array, compressed?: boolean): Uint8Array;
  pointFromScalar(d: Uint8Array, compressed?: boolean): Uint8Array | null;
  pointMultiply(p: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array | null;
  pointAdd(a: Uint8Array, b: Uint8Array, compressed?: boolean): Uint8Array | null;
  xOnlyPointFromScalar(d: Uint8Array): Uint8Array;
  signSchnorr(h: Uint8Array, d: Uint8Array, e?: Uint8Array): Uint8Array;
  verifySchnorr(h: Uint8Array, Q: Uint8Array, signature: Uint8Array): boolean;
}

export type BackendName = 'libsecp256k1-native' | 'libsecp256k1-wasm' | 'noble';

interface Loaded {
  module: TinySecp256k1 | null;
  error: string | null;
}

function loadWasm(): Loaded {
  if (process.env.CUSTODES_CRYPTO_BACKEND === 'noble') return { module: null, error: 'disabled by CUSTODES_CRYPTO_BACKEND=noble' };
  try {
    // The CommonJS build loads its .wasm synchronously, so a missing or broken
    // module leaves us on noble instead of failing the import.
    const require = createRequire(import.meta.url);
    return { module: require('tiny-secp256k1') as TinySecp256k1, error: null };
  } catch (err) {
    return { module: null, error: (err as Error).message };
  }
}

function loadNativeBackend(wasm: Loaded): Loaded {
  const choice = process.env.CUSTODES_CRYPTO_BACKEND;
  if (choice === 'noble' || choice === 'wasm') return { module: null, error: `disabled by CUSTODES_CRYPTO_BACKEND=${choice}` };
  // Signing stays on WASM (the addon has no BIP340), so native needs it too.
  if (!wasm.module) return { module: null, error: `needs the WASM module for BIP340 signing: ${wasm.error ?? 'not loaded'}` };
  try {
    return { module: loadNative(wasm.module), error: null };
  } catch (err) {
    return { module: null, error: (err as Error).message };
  }
}

/** A group backend as loaded in this process. */
export interface Backend {
  readonly name: BackendName;
  /** libsecp256k1 (the native addon, or WASM), or null for noble alone. */
  readonly lib: TinySecp256k1 | null;
}

const wasm = loadWasm();
const native = loadNativeBackend(wasm);
const BACKENDS: ReadonlyMap<BackendName, Backend> = new Map<BackendName, Backend>([
  ['libsecp256k1-native', Object.freeze({ name: 'libsecp256k1-native' as const, lib: native.module })],
  ['libsecp256k1-wasm', Object.freeze({ name: 'libsecp256k1-wasm' as const, lib: wasm.module })],
  ['noble', Object.freeze({ name: 'noble' as const, lib: null })],
]);

/**
 * The backend named, as loaded in this process. Throws RangeError for an
 * unknown name, or for a libsecp256k1 backend that did not load.
 */
export function loadBackend(name: BackendName): Backend {
  const backend = BACKENDS.get(name);
  if (!backend) throw new RangeError(`unknown backend ${String(name)}`);
  if (name !== 'noble' && !backend.lib) throw new RangeError(`${name} backend unavailable: ${backendLoadError(name) ?? 'not loaded'}`);
  return backend;
}

/** The process's backend, chosen once here: native, else WASM, else noble. */
export const DEFAULT_BACKEND: Backend = loadBackend(native.module ? 'libsecp256k1-native' : wasm.module ? 'libsecp256k1-wasm' : 'noble');

/** Which backend group.ts's operations use (DEFAULT_BACKEND). */
export function backendName(): BackendName {
  return DEFAULT_BACKEND.name;
}

/** Why a libsecp256k1 backend is unavailable (null when it loaded). */
export function backendLoadError(name: Exclude<BackendName, 'noble'> = 'libsecp256k1-wasm'): string | null {
  return name === 'libsecp256k1-native' ? native.error : wasm.error;
}

export type { TinySecp256k1 };
