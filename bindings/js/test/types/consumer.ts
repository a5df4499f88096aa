// Type-checked (tsc --noEmit), never run: uses every exported type of the package the way an
// app would, so a declaration that drifts from the API breaks the build.
import {
  ready, isReady, QuorumkeyError, WrongPasswordError, isQuorumkeyError, errorCodes, encodePolicy, inspectHeader,
  inspectPolicy, inspectCapsule, inspectUnit, inspectKeySet, recoveryKit, openRecoveryKit, DeviceShare, ShareCard,
  Enrollment, PendingEnrollment, Unlock, UnlockedVault, GatedSeal, UnitRead, Reseal, DEFAULT_IDLE_TIMEOUT_MS,
  KeyServerClient, enroll, unlock, recover, redeal, rekey, reseal, newPassword, needsReseal, keySetOrCreate, IndexedDbShareStore,
  FileShareStore, SecureStorageShareStore, MemoryShareStore, refresh, revoke, migrateUnits, Revocation, UnitMigration,
  UnitIndex, keyServerSetup,
} from 'quorumkey';
import type {
  ErrorCode, HolderSpec, PolicySpec, PolicyInfo, HeaderInfo, CapsuleInfo, UnitInfo, KeySetInfo, ServerRequest,
  PasswordInput, ServerSetup, Enrolled, Trust, VaultOptions, UnitResult, KeyServerTransport, AuditEventJson,
  KeyDirectory, Servers, EnrollResult, Change, DeviceShareStore, SecureStorageAdapter, WasmSource, GateModeName,
  Disposable, UnitTarget, PinnedKey,
} from 'quorumkey';
import { KeyServer, MemoryStore, seedFromEnv, seedFromFile, auditJson, MAX_BODY, MAX_ATTEMPTS } from 'quorumkey/server';
import type { KeyServerStore, PendingAudit, AuditEntry, KeyServerRequest, KeyServerResponse, OperationName, SeedSource } from 'quorumkey/server';
import { PgStore } from 'quorumkey/server/pg';

export async function app(): Promise<void> {
  const source: WasmSource = new URL('https://example.com/quorumkey.wasm');
  await ready({ wasm: source });
  const loaded: boolean = isReady();
  const holders: HolderSpec[] = [
    { id: 1, kind: 'device', label: 'phone' },
    { id: 2, kind: 'keyServer', label: 'keys', keyId: 'keys.example.com' },
    { id: 3, kind: 'custodian', label: 'card' },
  ];
  const policy: PolicySpec = { threshold: 2, holders };
  const policyBytes: Uint8Array = encodePolicy(policy);
  const policyInfo: PolicyInfo = inspectPolicy(policyBytes);
  const client: KeyServerTransport = new KeyServerClient({ url: 'https://keys.example.com', token: async () => 'jwt' });
  const servers: Servers = { 'keys.example.com': client };
  const password: PasswordInput = { secret: '1234', params: { memoryKib: 19456, iterations: 2, lanes: 1 } };
  const options: VaultOptions = { idleTimeout: DEFAULT_IDLE_TIMEOUT_MS, onLock: (reason: 'explicit' | 'idle') => void reason };
  const enrolled: EnrollResult = await enroll({ policy, servers, password, maxGuesses: 5, ...options });
  const header: HeaderInfo = inspectHeader(enrolled.header);
  const capsule: CapsuleInfo = inspectCapsule(enrolled.capsules[0]);
  const mode: GateModeName = capsule.mode;
  const keySet: KeySetInfo = inspectKeySet(enrolled.keySets['keys.example.com']);
  const unit = enrolled.vault.seal('vendor:acme', 'alice / hunter2');
  const unitInfo: UnitInfo = inspectUnit(unit);
  const kit: Uint8Array = recoveryKit(enrolled.header, enrolled.capsules);
  const opened: { header: Uint8Array; capsules: Uint8Array[] } = openRecoveryKit(kit);
  const share: DeviceShare = enrolled.deviceShares[0];
  const card: ShareCard = ShareCard.fromText(enrolled.cards[0].toSecretText());
  const store: DeviceShareStore = new IndexedDbShareStore({ dbName: 'app' });
  await store.save(header.vaultId, share);
  const adapter: SecureStorageAdapter = { get: async () => null, set: async () => {}, remove: async () => {} };
  const stores: DeviceShareStore[] = [new FileShareStore({ directory: '/tmp' }), new SecureStorageShareStore(adapter), new MemoryShareStore()];
  const trust: Trust = { headerDigest: enrolled.headerDigest, keySets: enrolled.keySets };
  const step: Unlock = Unlock.start({ header: enrolled.header, shares: [share, card], capsules: enrolled.capsules, trust, password });
  const requests: readonly ServerRequest[] = step.requests;
  const vault: UnlockedVault = step.finish(await Promise.all(requests.map((r) => client.evaluate(r.body))), options);
  const text: string = vault.openText(unit);
  const gated: GatedSeal = vault.sealGated('g', 'x', { keyId: 'keys.example.com', keySet: enrolled.keySets['keys.example.com'] });
  const updated: GatedSeal = vault.updateGated(unit, 'y', { keyId: 'keys.example.com', keySet: enrolled.keySets['keys.example.com'], info: 'vendor:acme' });
  void updated;
  const read: UnitRead = vault.readUnits([unit]);
  const results: UnitResult[] = read.finish([null]);
  const setup: ServerSetup = { holder: 2, keySet: enrolled.keySets['keys.example.com'] };
  const pending: PendingEnrollment = vault.refresh({ header: enrolled.header, capsules: enrolled.capsules, servers: [setup] });
  const again: Enrolled = pending.finish([]);
  const resealing: Reseal = vault.reseal({ header: enrolled.header, capsule: enrolled.capsules[0], keySet: enrolled.keySets['keys.example.com'] });
  const e: Enrollment = Enrollment.create(policy);
  const changed: Change = await redeal(vault, { header: enrolled.header, capsules: enrolled.capsules, servers });
  await changed.commit();
  const rekeyed = await rekey(vault, { header: enrolled.header, capsules: enrolled.capsules, servers, units: [unit] });
  const moved: Uint8Array[] = rekeyed.units;
  const resealed = await reseal(vault, { header: enrolled.header, capsules: enrolled.capsules, servers });
  const rotate: boolean = needsReseal(resealed.capsules[0], await keySetOrCreate(client));
  const pinSetup: Uint8Array = vault.passwordSetup('keys.example.com', 10);
  const pinned = await newPassword(vault, { header: enrolled.header, capsules: enrolled.capsules, servers, password: 'new pin', maxGuesses: 5 });
  await pinned.commit();
  void pinSetup;
  const recovered = await recover({ kit, cards: ['QK2-…'], servers });
  const v2: UnlockedVault = await unlock({ header: enrolled.header, shares: [share], capsules: enrolled.capsules, servers });
  const audit: { events: AuditEventJson[] } = await new KeyServerClient({ url: 'x' }).audit({ after: 0 });
  const directory: KeyDirectory = await new KeyServerClient({ url: 'x' }).keyDirectory();
  const disposable: Disposable = vault;
  {
    using scoped = v2;
    scoped.touch();
  }
  try {
    vault.open(unit);
  } catch (err) {
    if (err instanceof WrongPasswordError) console.log(err.guessesRemaining);
    if (isQuorumkeyError(err)) {
      const code: ErrorCode = err.code;
      console.log(code, err.number, err.retryable, errorCodes[code].summary);
    }
    throw new QuorumkeyError('internal', 'x');
  }
  void [loaded, policyInfo, mode, keySet, unitInfo, opened, stores, text, gated, results, again, resealing, e, moved,
    rotate, recovered, audit, directory, disposable];
}

/** The flows that landed after the first version: revocation, unit migration, the unit index. */
export async function later(vault: UnlockedVault, header: Uint8Array, capsules: Uint8Array[], units: Uint8Array[],
  servers: Servers, store: DeviceShareStore, keySet: Uint8Array): Promise<void> {
  const revoked: Change & { units: Uint8Array[] } = await revoke(vault, { header, capsules, servers, units, password: '2468',
    unitInfo: { 'keys.example.com': 'vendors' } });
  await revoked.commit();
  const refreshed: Change = await refresh(vault, { header, capsules, servers });
  const moved: Uint8Array[] = await migrateUnits(vault, { units, servers });
  const target: UnitTarget = { keyId: 'keys.example.com', keySet, info: 'vendors' };
  const step: Revocation = vault.revoke({ header, capsules, servers: [{ holder: 2, keySet }], units, unitTargets: [target] });
  const done = step.finish([new Uint8Array(1)], { idleTimeout: 1000 });
  const migration: UnitMigration = UnitMigration.start({ units, targets: [target] });
  const migrated: Uint8Array[] = migration.finish(vault, done.vault, []);
  const index: UnitIndex = (await store.loadIndex(vault.vaultId)) ?? UnitIndex.create(vault.vaultId);
  index.check(units[0]);
  index.observe(migrated[0]);
  const latest: number | undefined = index.latest('vendor:acme');
  await store.saveIndex(vault.vaultId, UnitIndex.fromBytes(index.toBytes()));
  const pinned: PinnedKey = keyServerSetup(2, keySet, { password: true });
  void [refreshed, moved, latest, pinned.keyVersion, done.units];
}

export async function server(): Promise<void> {
  const seed: SeedSource = async () => seedFromEnv('SEED');
  const ks = await KeyServer.create({ generations: [{ generation: 1, seed }, { generation: 2, seed: await seedFromFile('/seed') }] });
  const store: KeyServerStore = new MemoryStore();
  const pg: KeyServerStore = await PgStore.create({ connectionString: 'postgres://localhost/db', schema: 'keys' });
  const request: KeyServerRequest = { user: 'alice', method: 'GET', path: '/v1/keys' };
  const response: KeyServerResponse = await ks.handle(request, store);
  const op: OperationName = 'get_keys';
  const body: Uint8Array = await ks.operation('alice', op, pg);
  const handler = ks.nodeHandler({ store, authenticate: (req) => req.headers['x-user'] as string | undefined });
  const list: AuditEntry[] = await new MemoryStore().listAudit('alice', 0, 10);
  const pendingAudit: PendingAudit | null = null;
  void [response, body, handler, list.map(auditJson), pendingAudit, MAX_BODY, MAX_ATTEMPTS, PgStore.migrationSql()];
}
