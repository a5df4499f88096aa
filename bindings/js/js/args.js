// Argument checks done before anything reaches the WebAssembly module: a wrong type is an
// `invalid_argument` QuorumkeyError naming the parameter, never a trap or a coercion.
import { QuorumkeyError } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function invalid(message) {
  return new QuorumkeyError('invalid_argument', message);
}

function detached(view) {
  if (view.byteLength !== 0) return false;
  if ('detached' in ArrayBuffer.prototype) return view.buffer.detached === true;
  try {
    structuredClone(view.buffer);
    return false;
  } catch {
    return true;
  }
}

/** A `Uint8Array` (a Node.js `Buffer` is one), not detached. */
export function bytes(value, name) {
  if (!(value instanceof Uint8Array)) {
    throw invalid(`${name} must be a Uint8Array, not ${describe(value)}`);
  }
  if (value.buffer instanceof ArrayBuffer && detached(value)) {
    throw invalid(`${name} is a Uint8Array over a detached ArrayBuffer`);
  }
  return value;
}

/** `bytes`, or `null`/`undefined` → `undefined`. */
export function optionalBytes(value, name) {
  return value === undefined || value === null ? undefined : bytes(value, name);
}

/** A string (encoded as UTF-8) or a `Uint8Array`. */
export function textOrBytes(value, name) {
  if (typeof value === 'string') return encoder.encode(value);
  return bytes(value, name);
}

export function optionalTextOrBytes(value, name) {
  return value === undefined || value === null ? undefined : textOrBytes(value, name);
}

export function string(value, name) {
  if (typeof value !== 'string') throw invalid(`${name} must be a string, not ${describe(value)}`);
  return value;
}

export function integer(value, name, min, max) {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw invalid(`${name} must be an integer, not ${describe(value)}`);
  }
  if (value < min || value > max) throw invalid(`${name} must be in ${min}..=${max}, not ${value}`);
  return value;
}

export function array(value, name) {
  if (!Array.isArray(value)) throw invalid(`${name} must be an array, not ${describe(value)}`);
  return value;
}

export function object(value, name) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${name} must be an object, not ${describe(value)}`);
  }
  return value;
}

export function func(value, name) {
  if (typeof value !== 'function') throw invalid(`${name} must be a function, not ${describe(value)}`);
  return value;
}

/** Decodes UTF-8 strictly. */
export function utf8(data) {
  try {
    return decoder.decode(data);
  } catch {
    throw new QuorumkeyError('malformed', 'the unit plaintext is not valid UTF-8: open it as bytes');
  }
}

export function utf8Encode(text) {
  return encoder.encode(text);
}

export function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'object'}`;
  return typeof value;
}

/** Lowercase hex of bytes. */
export function hex(data) {
  let out = '';
  for (const b of data) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Bytes of lowercase or uppercase hex. */
export function fromHex(text, name = 'hex') {
  if (typeof text !== 'string' || text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) {
    throw invalid(`${name} must be an even-length hex string`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function base64url(data) {
  let s = '';
  for (const b of data) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64url(text, name = 'base64url') {
  if (typeof text !== 'string' || /[^A-Za-z0-9_-]/.test(text)) throw invalid(`${name} must be base64url`);
  const b = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - text.length % 4) % 4));
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
  return out;
}

/** Overwrites `data` with zeros (best effort: JavaScript may hold other copies). */
export function wipe(data) {
  if (data instanceof Uint8Array) data.fill(0);
}
