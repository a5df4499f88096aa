// Shared fixtures: an in-process key server behind a transport, and the usual policy.
import { KeyServer, MemoryStore } from 'quorumkey/server';

export const KEY_ID = 'keys.example.com';

export const policy2of3 = {
  threshold: 2,
  holders: [
    { id: 1, kind: 'device', label: 'phone' },
    { id: 2, kind: 'keyServer', label: 'key server', keyId: KEY_ID },
    { id: 3, kind: 'custodian', label: 'recovery card' },
  ],
};

/** A transport straight into a KeyServer for `user` (no HTTP). */
export function direct(server, store, user) {
  const op = (name, options) => server.operation(user, name, store, options);
  return {
    evaluate: (body) => op('evaluate', { body }),
    getKeys: () => op('get_keys'),
    addKeyVersion: () => op('add_key_version'),
    dropKeyVersion: (version) => op('drop_key_version', { version }),
    setPassword: (body) => op('set_password', { body }),
    confirmUnlock: (body) => op('confirm_unlock', { body }),
    changeTag: (body) => op('change_tag', { body }),
  };
}

export async function keyServer(options = {}) {
  const server = await KeyServer.create({ seed: crypto.getRandomValues(new Uint8Array(32)), ...options });
  const store = new MemoryStore();
  return { server, store, servers: (user = 'alice@example.com') => ({ [KEY_ID]: direct(server, store, user) }) };
}

/** Argon2id at its floor, to keep password tests quick. */
export const fastPassword = (secret) => ({ secret, params: { memoryKib: 19456, iterations: 2, lanes: 1 } });
