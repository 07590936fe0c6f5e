/**
 * Chooses and initialises the TensorFlow.js backend of this thread, once.
 *
 * Order of preference: `@tensorflow/tfjs-node` (native libtensorflow; an optional dependency —
 * its install step downloads libtensorflow, which fails without internet, and npm then drops it),
 * then `@tensorflow/tfjs-backend-wasm` (XNNPACK kernels, SIMD when the runtime has
 * it; single-threaded in Node, see https://github.com/tensorflow/tfjs/issues/3830), then the
 * pure-JS `cpu` backend. Every worker thread has its own engine and calls this itself.
 *
 * `lib/` has no logger: the caller logs {@link BackendInfo} (the trainer service does, once).
 */
import * as tf from '@tensorflow/tfjs';
import { QuorumError, listNames } from '../../errors';

export type BackendName = 'node' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** Quorum's name for the backend ('node' is tfjs's 'tensorflow'). */
  name: BackendName;
  /** WebAssembly SIMD in use (wasm only). */
  simd: boolean;
  /** WebAssembly threads in use (wasm only; never in Node). */
  threads: boolean;
  /** Version of @tensorflow/tfjs-core. */
  version: string;
  /** Why a preferred backend was not used, if it was not. */
  fallbacks: string[];
}

export const BACKEND_NAMES: readonly BackendName[] = ['node', 'wasm', 'cpu'];
const TF_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/** Loads a backend package for its side effect (registering the backend); false when absent. */
function registerPackage(name: BackendName, fallbacks: string[]): boolean {
  if (name === 'cpu') return true; // bundled with @tensorflow/tfjs
  const pkg = name === 'node' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-backend-wasm';
  try {
    require(pkg);
    return true;
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    fallbacks.push(`${name}: ${missing ? `${pkg} is not installed` : (e as Error).message}`);
    return false;
  }
}

async function tryBackend(name: BackendName, fallbacks: string[]): Promise<BackendInfo | undefined> {
  if (!registerPackage(name, fallbacks)) return undefined;
  let ok = false;
  try {
    ok = await tf.setBackend(TF_NAME[name]);
    await tf.ready();
  } catch (e) {
    fallbacks.push(`${name}: ${(e as Error).message ?? String(e)}`);
    return undefined;
  }
  if (!ok) {
    fallbacks.push(`${name}: initialisation failed`);
    return undefined;
  }
  const wasm = name === 'wasm';
  return {
    name,
    simd: wasm ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false,
    threads: wasm ? Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) : false,
    version: tf.version_core,
    fallbacks: [...fallbacks],
  };
}

async function choose(preferred?: BackendName): Promise<BackendInfo> {
  // Production mode silences tfjs's console banners ("install the node backend…"): the choice is
  // deliberate and reported through BackendInfo instead.
  tf.env().set('PROD', true);
  const order = preferred ? [preferred, ...BACKEND_NAMES.filter((n) => n !== preferred)] : [...BACKEND_NAMES];
  const fallbacks: string[] = [];
  for (const name of order) {
    const info = await tryBackend(name, fallbacks);
    if (info) return info;
  }
  throw new QuorumError('INTERNAL', `no TensorFlow.js backend could start: ${fallbacks.join('; ')}`);
}

/**
 * Initialises the best available backend of this thread (or `preferred`, falling back in the
 * usual order when it cannot start). Idempotent: later calls return the first result, whatever
 * they prefer — a thread runs one backend.
 */
export function initBackend(preferred?: BackendName): Promise<BackendInfo> {
  if (preferred !== undefined && !BACKEND_NAMES.includes(preferred)) {
    return Promise.reject(new QuorumError('BAD_REQUEST', `unknown TensorFlow.js backend '${String(preferred)}': use ${listNames(BACKEND_NAMES)}`));
  }
  if (current) return Promise.resolve(current);
  if (!pending) {
    pending = choose(preferred).then(
      (info) => (current = info),
      (err) => {
        pending = undefined;
        throw err;
      },
    );
  }
  return pending;
}

/** The backend of this thread, or undefined before {@link initBackend} has finished. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/**
 * For synchronous callers (a model loaded and asked to predict before anyone awaited
 * {@link initBackend}): selects the `cpu` backend, whose start is synchronous, and records it.
 */
export function ensureBackendSync(): BackendInfo {
  if (current) return current;
  tf.env().set('PROD', true);
  void tf.setBackend('cpu'); // cpu's factory is synchronous: the switch is done when this returns
  current = {
    name: 'cpu',
    simd: false,
    threads: false,
    version: tf.version_core,
    fallbacks: ['predict was called before initBackend(): used the synchronous cpu backend'],
  };
  return current;
}

/** A one-line description for logs: `wasm (SIMD, 1 thread) tfjs 4.22.0`. */
export function describeBackend(info: BackendInfo): string {
  const extras = info.name === 'wasm' ? ` (${info.simd ? 'SIMD' : 'no SIMD'}, ${info.threads ? 'threads' : '1 thread'})` : '';
  return `${info.name}${extras} tfjs ${info.version}`;
}

/** `ModelKind.init` of the TensorFlow.js kinds: starts this thread's backend ('auto' = best available). */
export async function initTfKind(options: { backend?: string }): Promise<Record<string, unknown>> {
  const preferred = options.backend && options.backend !== 'auto' ? (options.backend as BackendName) : undefined;
  const info = await initBackend(preferred);
  return { backend: info.name, simd: info.simd, threads: info.threads, tfjs: info.version };
}
