import { codes } from './codes.js';

/** Every error the package throws: `code` is stable, `message` is for people. */
export class QuorumkeyError extends Error {
  constructor(code, message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    const row = codes[code] ?? codes.internal;
    Object.defineProperty(this, 'name', { value: 'QuorumkeyError', enumerable: false, configurable: true, writable: true });
    this.code = codes[code] ? code : 'internal';
    this.number = row[0];
    this.status = details.status ?? row[1];
    this.retryable = row[2];
    if (details.holder !== undefined) this.holder = details.holder;
    if (details.culprits !== undefined) this.culprits = details.culprits;
    if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter;
  }
}

/** A password capsule did not open: the password (or PIN) is wrong. */
export class WrongPasswordError extends QuorumkeyError {
  constructor(message, details = {}) {
    super('wrong_password', message, details);
    Object.defineProperty(this, 'name', { value: 'WrongPasswordError', enumerable: false, configurable: true, writable: true });
    /** Guesses the key server has left before it destroys the password keys. */
    this.guessesRemaining = details.guessesRemaining;
  }
}

/** Whether `e` is one of the package's errors (also across realms and package copies). */
export function isQuorumkeyError(e) {
  return e instanceof QuorumkeyError
    || (typeof e === 'object' && e !== null && typeof e.code === 'string'
      && Object.prototype.hasOwnProperty.call(codes, e.code) && typeof e.number === 'number');
}

/** The error for `code`, as the package throws it. */
export function makeError(code, message, details = {}) {
  return code === 'wrong_password'
    ? new WrongPasswordError(message, details)
    : new QuorumkeyError(code, message, details);
}

/** Code number, HTTP status, retry flag and summary of every code. */
export const errorCodes = Object.freeze(Object.fromEntries(Object.entries(codes).map(
  ([code, [number, status, retryable, summary]]) => [code, Object.freeze({ number, status, retryable, summary })],
)));
