// Everything the package exports on every platform (the platform entry adds its loader and
// its device storage).
export { ready, isReady } from './wasm.js';
export { QuorumkeyError, WrongPasswordError, isQuorumkeyError, errorCodes } from './errors.js';
export {
  DEFAULT_IDLE_TIMEOUT_MS, encodePolicy, inspectHeader, inspectPolicy, inspectCapsule, inspectUnit,
  inspectKeySet, recoveryKit, openRecoveryKit, DeviceShare, ShareCard, Enrollment, PendingEnrollment,
  Unlock, UnlockedVault, GatedSeal, UnitRead, Reseal, Revocation, UnitMigration, UnitIndex, keyServerSetup,
} from './client.js';
export {
  enroll, unlock, recover, refresh, redeal, rekey, revoke, reseal, newPassword, migrateUnits, needsReseal, keySetOrCreate,
} from './flows.js';
export { KeyServerClient } from './transport.js';
export { SecureStorageShareStore, MemoryShareStore } from './storage.js';
