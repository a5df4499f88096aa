// Drivers for the common flows over key-server transports (KeyServerClient or any object
// with its methods). They only sequence the step API of client.js with the transports'
// requests; every protocol decision stays in the core.
import * as a from './args.js';
import { ready } from './wasm.js';
import { QuorumkeyError, isQuorumkeyError } from './errors.js';
import {
  Enrollment, Unlock, ShareCard, UnitMigration, inspectHeader, inspectCapsule, inspectKeySet, inspectUnit,
  recoveryKit, openRecoveryKit, inspectPolicy, encodePolicy,
} from './client.js';

const METHODS = ['evaluate', 'getKeys', 'addKeyVersion', 'dropKeyVersion', 'setPassword', 'confirmUnlock', 'changeTag'];

/** A transport whose failures are QuorumkeyErrors (`transport` unless it threw one) and whose answers are bytes. */
function wrap(keyId, t) {
  a.object(t, `servers[${JSON.stringify(keyId)}]`);
  const out = {};
  for (const m of METHODS) {
    out[m] = async (...args) => {
      if (typeof t[m] !== 'function') throw a.invalid(`the transport for ${keyId} has no ${m}()`);
      let result;
      try {
        result = await t[m](...args);
      } catch (e) {
        if (isQuorumkeyError(e)) throw e;
        throw new QuorumkeyError('transport', `${keyId} ${m}: ${e?.message ?? e}`, { cause: e });
      }
      if (!(result instanceof Uint8Array)) {
        throw new QuorumkeyError('transport', `${keyId} ${m} did not resolve to a Uint8Array`);
      }
      return result;
    };
  }
  return out;
}

function transports(servers) {
  a.object(servers, 'servers');
  const wrapped = new Map();
  return (keyId) => {
    if (!Object.hasOwn(servers, keyId)) throw a.invalid(`no transport for key server ${JSON.stringify(keyId)} in servers`);
    if (!wrapped.has(keyId)) wrapped.set(keyId, wrap(keyId, servers[keyId]));
    return wrapped.get(keyId);
  };
}

function keyServerHolders(header) {
  return inspectHeader(header).policy.holders.filter((h) => h.kind === 'keyServer');
}

/** The user's key set at `t`, creating the user's record there if there is none. */
export async function keySetOrCreate(t) {
  try {
    return await t.getKeys();
  } catch (e) {
    if (e?.code === 'no_record') return t.addKeyVersion();
    throw e;
  }
}

/**
 * Enrolls a new vault: deals it under `policy`, sets up the password guard at each key
 * server when `password` is given, seals the capsules, and proves the unlock. Returns what
 * to persist: `{header, headerDigest, capsules, deviceShares, cards, recoveryKit, keySets,
 * vault}`.
 */
export async function enroll({ policy, servers, password, maxGuesses = 10, info = {}, idleTimeout, onLock } = {}) {
  await ready();
  const transport = transports(servers);
  const enrollment = Enrollment.create(policy);
  try {
    const holders = keyServerHolders(enrollment.header);
    const keySets = {};
    for (const h of holders) {
      const t = transport(h.keyId);
      keySets[h.keyId] = await keySetOrCreate(t);
      if (password !== undefined && password !== null) {
        keySets[h.keyId] = await t.setPassword(enrollment.passwordSetup(h.keyId, maxGuesses));
      }
    }
    const pending = enrollment.requestGates(
      holders.map((h) => ({ holder: h.id, keySet: keySets[h.keyId], info: info[h.keyId] })),
      password,
    );
    const responses = await Promise.all(pending.requests.map((r) => transport(r.keyId).evaluate(r.body)));
    const enrolled = pending.finish(responses, { idleTimeout, onLock });
    if (password !== undefined && password !== null) {
      for (const h of holders) {
        keySets[h.keyId] = await transport(h.keyId).confirmUnlock(enrolled.vault.unlockProof(h.keyId));
      }
    }
    return {
      ...enrolled,
      headerDigest: inspectHeader(enrolled.header).digest,
      recoveryKit: recoveryKit(enrolled.header, enrolled.capsules),
      keySets,
    };
  } finally {
    enrollment.dispose();
  }
}

/**
 * Unlocks a vault with the shares at hand and the key servers' help. Key sets are fetched
 * from the transports (the authenticated channel) and trusted; `headerDigest`, if given,
 * pins the header. After a password capsule opened, the unlock is proven to its server.
 */
export async function unlock({
  header, shares = [], capsules = [], servers = {}, password, headerDigest, idleTimeout, onLock,
} = {}) {
  await ready();
  a.bytes(header, 'header');
  a.array(capsules, 'capsules');
  const transport = transports(servers);
  const reachable = capsules.filter((c) => Object.hasOwn(servers, inspectCapsule(a.bytes(c, 'capsule')).keyId));
  const keySets = {};
  for (const keyId of new Set(reachable.map((c) => inspectCapsule(c).keyId))) {
    keySets[keyId] = await transport(keyId).getKeys();
  }
  const pending = Unlock.start({ header, shares, capsules: reachable, trust: { headerDigest, keySets }, password });
  const failures = [];
  const settled = await Promise.allSettled(pending.requests.map((r) => transport(r.keyId).evaluate(r.body)));
  const responses = settled.map((s) => {
    if (s.status === 'fulfilled') return s.value;
    failures.push(s.reason);
    return null;
  });
  let vault;
  try {
    vault = pending.finish(responses, { idleTimeout, onLock });
  } catch (e) {
    if (failures.length > 0 && e?.code === 'not_enough_shares') {
      throw new QuorumkeyError(e.code, `${e.message} (${failures.map((f) => f?.code ?? f?.message).join(', ')})`, {
        cause: new AggregateError(failures, 'key servers that did not answer'),
      });
    }
    throw e;
  }
  const proven = new Set();
  for (const [i, r] of pending.requests.entries()) {
    if (r.purpose === 'password_capsule' && responses[i] && !proven.has(r.keyId)) {
      proven.add(r.keyId);
      await transport(r.keyId).confirmUnlock(vault.unlockProof(r.keyId));
    }
  }
  return vault;
}

/**
 * Recovery without the device: opens the vault with share cards' text and the recovery
 * kit's capsules through the key servers. Then re-deal to a new device (`redeal`).
 */
export async function recover({ kit, cards, servers, password, idleTimeout, onLock } = {}) {
  await ready();
  const { header, capsules } = openRecoveryKit(a.bytes(kit, 'kit'));
  const shares = a.array(cards, 'cards').map((c, i) => ShareCard.fromText(a.string(c, `cards[${i}]`)));
  try {
    const vault = await unlock({ header, shares, capsules, servers, password, idleTimeout, onLock });
    return { vault, header, capsules };
  } finally {
    shares.forEach((s) => s.dispose());
  }
}

async function dealAgain(kind, vault, { header, capsules, servers, policy, password, maxGuesses = 10, info = {}, idleTimeout, onLock }) {
  await ready();
  const transport = transports(servers);
  const policyHolders = policy === undefined
    ? keyServerHolders(header)
    : inspectPolicy(encodePolicy(policy)).holders.filter((h) => h.kind === 'keyServer');
  const keySets = {};
  for (const h of policyHolders) {
    const t = transport(h.keyId);
    keySets[h.keyId] = await t.addKeyVersion();
  }
  const pending = vault[kind]({
    header, capsules, policy, password,
    servers: policyHolders.map((h) => ({ holder: h.id, keySet: keySets[h.keyId], info: info[h.keyId] })),
  });
  const responses = await Promise.all(pending.requests.map((r) => transport(r.keyId).evaluate(r.body)));
  const enrolled = pending.finish(responses, { idleTimeout, onLock });
  return { enrolled, keySets, policyHolders, transport, maxGuesses };
}

/** The newest key version each key server must keep: the one `capsules` and gated `units` use. */
function inUse(capsules, units = []) {
  const keep = new Map();
  const note = (keyId, version) => keep.set(keyId, Math.min(keep.get(keyId) ?? Infinity, version));
  for (const c of capsules) {
    const { keyId, keyVersion } = inspectCapsule(c);
    note(keyId, keyVersion);
  }
  for (const u of units) {
    const { gated, gateKeyId, gateKeyVersion } = inspectUnit(u);
    if (gated) note(gateKeyId, gateKeyVersion);
  }
  return keep;
}

/** `commit()`: drops, at each key server, the key versions older than those in use. */
function committer(transport, capsules, units = []) {
  return async () => {
    for (const [keyId, keep] of inUse(capsules, units)) {
      const t = transport(keyId);
      const set = inspectKeySet(await t.getKeys());
      for (const v of set.versions) {
        if (v.version < keep) await t.dropKeyVersion(v.version);
      }
    }
  };
}

/**
 * The unit-gate targets for moving `units`' gates to `keySets[keyId]` at each of their key
 * servers. One gate mode per key server: `unitInfo[keyId]` (a POPRF label), or else the
 * mode the gated units there already share.
 */
function unitTargets(units, keySets, unitInfo = {}) {
  const modes = new Map();
  for (const u of units) {
    const info = inspectUnit(u);
    if (!info.gated) continue;
    const label = info.info ? a.hex(info.info) : '';
    if (!modes.has(info.gateKeyId)) modes.set(info.gateKeyId, new Set());
    modes.get(info.gateKeyId).add(label);
  }
  return [...modes].map(([keyId, labels]) => {
    let info = unitInfo[keyId];
    if (info === undefined) {
      if (labels.size > 1) {
        throw a.invalid(`gated units at ${keyId} have different POPRF labels: choose one with unitInfo[${JSON.stringify(keyId)}]`);
      }
      const [label] = labels;
      info = label ? a.fromHex(label) : undefined;
    }
    return { keyId, keySet: keySets[keyId], info };
  });
}

/**
 * Re-deal (refresh or revocation): the same secret, new shares for every holder of
 * `policy` (default: the current one) at the next epoch, new capsules under a new key
 * version at each key server. Units stay valid. Two-phase: persist what it returns, check
 * it unlocks, then call `commit()` to drop the old key versions (which revokes the old
 * shares and capsules).
 */
export async function refresh(vault, args = {}) {
  const { enrolled, transport, policyHolders } = await dealAgain('refresh', vault, args);
  if (args.password !== undefined && args.password !== null) {
    for (const h of policyHolders) await transport(h.keyId).confirmUnlock(enrolled.vault.unlockProof(h.keyId));
  }
  return {
    ...enrolled,
    headerDigest: inspectHeader(enrolled.header).digest,
    recoveryKit: recoveryKit(enrolled.header, enrolled.capsules),
    commit: committer(transport, enrolled.capsules),
  };
}

/** @deprecated the former name of `refresh` (the core's `UnlockedVault::refresh`). */
export const redeal = refresh;

/**
 * Rekey: a new secret at the next epoch, every unit in `units` re-encrypted under it, and
 * the password guards' unlock tags moved to the new vault. Two-phase like `redeal`.
 */
export async function rekey(vault, args = {}) {
  const units = a.array(args.units ?? [], 'units');
  const { enrolled, transport, policyHolders } = await dealAgain('rekey', vault, args);
  const fresh = enrolled.vault.reencryptUnits(vault, units);
  if (args.password !== undefined && args.password !== null) {
    for (const h of policyHolders) await transport(h.keyId).changeTag(vault.tagChange(h.keyId, enrolled.vault));
  }
  return {
    ...enrolled,
    units: fresh,
    headerDigest: inspectHeader(enrolled.header).digest,
    recoveryKit: recoveryKit(enrolled.header, enrolled.capsules),
    commit: committer(transport, enrolled.capsules, fresh),
  };
}

/**
 * A new password guard, then the capsules re-sealed behind `password`: the way back after a
 * key server burned the password keys (too many wrong guesses), or a first password for a
 * vault enrolled without one. `vault` is opened by other holders (a device share and the
 * recovery card). Each key server of `capsules` gets a new guard (`maxGuesses`, default 10;
 * refused with `password_already_set` while a guard is live: change a live password with
 * `reseal`), then a new key version the capsule is re-sealed under. Give it the vault's
 * `units`: gated ones move to the new version too (as in `reseal`), or `commit()` would
 * drop the key version their gates use. Persist the returned capsules and units, then
 * `commit()` drops the old versions.
 */
export async function newPassword(vault, {
  header, capsules, servers, password, maxGuesses = 10, info = {}, units = [], unitInfo,
} = {}) {
  await ready();
  if (password === undefined || password === null) throw a.invalid('password is required');
  const transport = transports(servers);
  const keyIds = new Set(a.array(capsules, 'capsules').map((c, i) => inspectCapsule(a.bytes(c, `capsules[${i}]`)).keyId));
  for (const keyId of keyIds) await transport(keyId).setPassword(vault.passwordSetup(keyId, maxGuesses));
  return reseal(vault, { header, capsules, servers, password, info, units, unitInfo });
}

/**
 * Re-seals capsules under each key server's new key version (after the operator rotated
 * its master seed, or to change or remove the password): adds a version, re-seals, and
 * returns the new capsules with `commit()` to drop the old versions once persisted.
 */
export async function reseal(vault, { header, capsules, servers, password, info = {}, units = [], unitInfo } = {}) {
  await ready();
  const transport = transports(servers);
  const fresh = [];
  const keySets = {};
  for (const capsule of a.array(capsules, 'capsules')) {
    const { keyId } = inspectCapsule(capsule);
    const t = transport(keyId);
    keySets[keyId] ??= await t.addKeyVersion();
    const step = vault.reseal({ header, capsule, keySet: keySets[keyId], password, info: info[keyId] });
    fresh.push(step.finish(await t.evaluate(step.request.body)));
    if (password !== undefined && password !== null) await t.confirmUnlock(vault.unlockProof(keyId));
  }
  const moved = await migrateUnits(vault, { units, servers, unitInfo, keySets });
  return { capsules: fresh, units: moved, commit: committer(transport, fresh, moved) };
}

/**
 * Moves gated `units` to the newest unit-gate key of their key servers (fetched, or
 * `keySets[keyId]`), each as its next version: before a key server drops the version
 * their gates use, or they die with it. Units without a gate are sealed again as their
 * next version too. Returns the new units, in order.
 */
export async function migrateUnits(vault, { units = [], servers, unitInfo, keySets = {} } = {}) {
  await ready();
  a.array(units, 'units').forEach((u, i) => a.bytes(u, `units[${i}]`));
  if (units.length === 0) return [];
  const transport = transports(servers);
  const sets = { ...keySets };
  for (const u of units) {
    const { gated, gateKeyId } = inspectUnit(u);
    if (gated && !sets[gateKeyId]) sets[gateKeyId] = await transport(gateKeyId).getKeys();
  }
  const migration = UnitMigration.start({ units, targets: unitTargets(units, sets, unitInfo) });
  const responses = await Promise.all(migration.requests.map((r) => transport(r.keyId).evaluate(r.body)));
  return migration.finish(vault, vault, responses);
}

/**
 * Revocation, as `spec/threat-model.md` recommends it (a lost or stolen device, a card that
 * may be in the wrong hands): a rekey — a new secret, so nothing sealed from now on opens
 * with any old share, even `t` of them together — and every unit in `units`, gated ones
 * included, moved under it as its next version, gates to a new key version. The password
 * guards' unlock tags move to the new vault. Two-phase: persist what it returns (header,
 * capsules, the new device's share, cards, units, recovery kit), check it unlocks, then
 * `commit()` drops the old key versions.
 */
export async function revoke(vault, {
  header, capsules, servers, policy, password, units = [], info = {}, unitInfo, idleTimeout, onLock,
} = {}) {
  await ready();
  a.array(units, 'units').forEach((u, i) => a.bytes(u, `units[${i}]`));
  const transport = transports(servers);
  const policyHolders = policy === undefined
    ? keyServerHolders(header)
    : inspectPolicy(encodePolicy(policy)).holders.filter((h) => h.kind === 'keyServer');
  const keySets = {};
  const keyIds = new Set(policyHolders.map((h) => h.keyId));
  for (const u of units) {
    const { gated, gateKeyId } = inspectUnit(u);
    if (gated) keyIds.add(gateKeyId);
  }
  for (const keyId of keyIds) keySets[keyId] = await transport(keyId).addKeyVersion();
  const step = vault.revoke({
    header, capsules, policy, password, units,
    servers: policyHolders.map((h) => ({ holder: h.id, keySet: keySets[h.keyId], info: info[h.keyId] })),
    unitTargets: unitTargets(units, keySets, unitInfo),
  });
  const responses = await Promise.all(step.requests.map((r) => transport(r.keyId).evaluate(r.body)));
  const revoked = step.finish(responses, { idleTimeout, onLock });
  if (password !== undefined && password !== null) {
    for (const h of policyHolders) await transport(h.keyId).changeTag(vault.tagChange(h.keyId, revoked.vault));
  }
  return {
    ...revoked,
    headerDigest: inspectHeader(revoked.header).digest,
    recoveryKit: recoveryKit(revoked.header, revoked.capsules),
    commit: committer(transport, revoked.capsules, revoked.units),
  };
}

/** Whether `capsule` uses a key version that its key set says is being rotated out. */
export function needsReseal(capsule, keySet) {
  const { keyVersion } = inspectCapsule(capsule);
  const v = inspectKeySet(keySet).versions.find((x) => x.version === keyVersion);
  return !v || !v.current;
}
