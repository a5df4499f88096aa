// The WebAssembly module's state: which platform loader to use, whether it is loaded,
// and the one wrapper every call into it goes through (errors become QuorumkeyErrors, a
// trap stops the module for good instead of leaving it half-changed).
import { QuorumkeyError, makeError, errorCodes } from './errors.js';

let platform = null;
let glue = null;
let loading = null;
let stopped = null;

/** Called once by the platform entry (browser, Node.js, workerd). */
export function setPlatform(p) {
  platform = p;
}

/**
 * Loads and instantiates the WebAssembly module; resolves once it is usable. Idempotent.
 * `options.wasm` overrides where the module comes from: a `WebAssembly.Module`, bytes, a
 * `Response`, or a URL (for hosts that serve the `.wasm` file from elsewhere).
 */
export function ready(options = {}) {
  if (glue) return Promise.resolve();
  if (!loading) {
    loading = (async () => {
      if (!platform) throw new QuorumkeyError('unsupported', 'no platform entry was loaded');
      if (typeof globalThis.crypto?.getRandomValues !== 'function') {
        throw new QuorumkeyError('unsupported', 'crypto.getRandomValues is not available on this platform');
      }
      const source = options.wasm ?? await platform.source();
      await platform.glue.default({ module_or_path: source });
      // The Node.js module keeps panic messages; the browser module has no hook (size).
      platform.glue.installPanicHook?.();
      glue = platform.glue;
    })();
    loading.catch(() => { loading = null; });
  }
  return loading;
}

/** Whether ready() has completed. */
export function isReady() {
  return glue !== null;
}

function wasm() {
  if (stopped) throw stopped;
  if (!glue) throw new QuorumkeyError('not_ready', 'the WebAssembly module is not loaded: await ready() first');
  return glue;
}

/** Converts whatever a call into the module threw into a QuorumkeyError. */
export function convert(e) {
  if (e instanceof QuorumkeyError) return e;
  if (e && e.name === 'QuorumkeyError' && typeof e.code === 'string') {
    // The browser module leaves the core's messages out: the code table's summary, with
    // where a decode failed (`detail`), stands in.
    const summary = errorCodes[e.code]?.summary ?? e.code;
    const message = e.message || (e.detail ? `${summary} (${e.detail})` : summary);
    return makeError(e.code, message, {
      holder: e.holder,
      culprits: e.culprits,
      guessesRemaining: e.guessesRemaining,
    });
  }
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) {
    const panic = glue?.lastPanic?.();
    stopped = new QuorumkeyError('internal',
      `the WebAssembly module stopped${panic ? ` (${panic})` : ''}; reload the page or process`,
      { cause: e });
    return stopped;
  }
  const message = e instanceof Error ? e.message : String(e);
  if (/null pointer passed to rust|attempted to take ownership/i.test(message)) {
    return new QuorumkeyError('consumed', 'this object was freed or disposed', { cause: e });
  }
  if (/recursive use of an object/i.test(message)) {
    return new QuorumkeyError('consumed', 'this object is in use by another call', { cause: e });
  }
  return new QuorumkeyError('invalid_argument', message, { cause: e });
}

/** Runs `fn(module)` and converts anything it throws. */
export function call(fn) {
  const m = wasm();
  try {
    return fn(m);
  } catch (e) {
    throw convert(e);
  }
}
