// The vendor vault page. Every vendor credential is encrypted here, in the browser, as its
// own quorumkey unit behind its own key-server gate (POPRF, labelled `vendor:<name>`); the
// app's API stores only ciphertext. The page holds only handles: the vault's keys and the
// device share stay inside the quorumkey WebAssembly module, and a credential exists as
// plain text only while it is shown or used.
import {
  KeyServerClient,
  IndexedDbShareStore,
  ShareCard,
  enroll,
  inspectHeader,
  isQuorumkeyError,
  ready,
  rekey,
  unlock,
  UnitIndex,
  type PolicySpec,
  type UnlockedVault,
} from 'quorumkey';
import QRCode from 'qrcode';
import { api, ApiError, type Config, type StoredVault } from './api';
import { $, h, value } from './dom';
import './style.css';

// ---------------------------------------------------------------------------------------
// State

let config: Config;
let keyServer: KeyServerClient;
let user: { id: string; username: string } | null = null;
/** The vault's public blobs as the API stores them. */
let stored: StoredVault | null = null;
/** The open vault (a handle; its keys never leave the WebAssembly module). */
let vault: UnlockedVault | null = null;
const shares = new IndexedDbShareStore({ dbName: 'vendor-vault' });
/**
 * The latest version of each credential this browser has seen, kept with its device share:
 * the API cannot serve an older one again (an old password, say) without the page noticing.
 */
let index: UnitIndex | null = null;

const app = () => $('#app');

/** The vault's policy: 2 of {this browser, the key server (behind the PIN), the recovery card}. */
function policy(): PolicySpec {
  return {
    threshold: 2,
    holders: [
      { id: 1, kind: 'device', label: 'browser' },
      { id: 2, kind: 'keyServer', label: 'key server', keyId: config.keyId },
      { id: 3, kind: 'custodian', label: 'recovery card' },
    ],
    requireKeyServer: true,
  };
}

const servers = () => ({ [config.keyId]: keyServer });
/** Wrong PINs the key server allows between proven unlocks before it destroys the PIN key. */
const MAX_GUESSES = 10;
const label = (vendor: string) => `vendor:${vendor}`;
const hex = (u: Uint8Array) => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('');
const fromHex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16));
const digestKey = () => `vendor-vault.header-digest.${user?.id}`;

function vaultOptions() {
  return { idleTimeout: config.idleLockSeconds * 1000, onLock: (reason: 'idle' | 'explicit') => onLocked(reason) };
}

// ---------------------------------------------------------------------------------------
// Messages

/** What went wrong, in words for the user; `retry` when trying again may help. */
function explain(e: unknown): { text: string; retry: boolean } {
  if (e instanceof ApiError) {
    if (e.code === 'offline') return { text: 'The app server cannot be reached. Nothing was changed; try again.', retry: true };
    if (e.status === 401 && e.code === 'unauthorized') return { text: 'Your session ended. Log in again.', retry: false };
    return { text: e.message, retry: e.status >= 500 };
  }
  if (isQuorumkeyError(e)) {
    const code = e.code;
    if (code === 'wrong_password') {
      const left = (e as { guessesRemaining?: number }).guessesRemaining;
      return {
        text:
          left === undefined
            ? 'Wrong PIN.'
            : `Wrong PIN. ${left} ${left === 1 ? 'guess' : 'guesses'} left before the key server destroys this vault's PIN key.`,
        retry: false,
      };
    }
    if (code === 'password_burned') {
      return {
        text: 'Too many wrong PINs: the key server destroyed the PIN key for good. Your recovery card and this browser can still open the vault and set a new PIN.',
        retry: false,
      };
    }
    const unreachable =
      ['transport', 'busy', 'unavailable', 'rate_limited'].includes(code) ||
      (code === 'not_enough_shares' && e.cause instanceof AggregateError);
    if (unreachable) {
      return {
        text: 'The key server cannot be reached right now. Nothing was lost or changed: your vault is safe. Try again in a moment.',
        retry: true,
      };
    }
    if (code === 'unit_rollback') {
      return {
        text: 'The app server sent an older version of this credential than this browser has already seen, so it was refused and nothing was opened. Report it to the operator.',
        retry: false,
      };
    }
    if (code === 'locked') return { text: 'The vault is locked. Unlock it with your PIN.', retry: false };
    if (code === 'invalid_card') return { text: 'That recovery card could not be read: check it for typos.', retry: false };
    if (['header_mismatch', 'stale_epoch', 'wrong_vault', 'untrusted_key', 'unknown_key_version'].includes(code)) {
      return {
        text: 'This key is no longer valid: the vault was recovered since, and older cards and devices were revoked. Use your newest recovery card.',
        retry: false,
      };
    }
    return { text: `${e.message} (${code})`, retry: false };
  }
  return { text: e instanceof Error ? e.message : String(e), retry: false };
}

function notice(kind: 'error' | 'info', text: string, retry?: () => void) {
  const box = $('#notice');
  box.replaceChildren(
    h('p', { class: kind, role: kind === 'error' ? 'alert' : 'status', 'data-kind': kind }, text),
    retry ? h('button', { id: 'retry', type: 'button', onclick: () => retry() }, 'Try again') : '',
  );
}

function clearNotice() {
  $('#notice').replaceChildren();
}

/** Runs a user action with a busy indicator; failures become a notice (with retry if useful). */
async function act(button: HTMLButtonElement | null, action: () => Promise<void>) {
  clearNotice();
  const again = () => void act(button, action);
  document.body.classList.add('busy');
  if (button) button.disabled = true;
  try {
    await action();
  } catch (e) {
    if (e instanceof ApiError && e.code === 'unauthorized') {
      await loggedOut('Your session ended. Log in again.');
      return;
    }
    const { text, retry } = explain(e);
    notice('error', text, retry ? again : undefined);
  } finally {
    document.body.classList.remove('busy');
    if (button?.isConnected) button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------
// Sign up, log in, log out

function authView(message?: string) {
  const signup = h(
    'form',
    { id: 'signup-form', class: 'card' },
    h('h2', {}, 'Create an account'),
    h('label', {}, 'Username', h('input', { name: 'username', autocomplete: 'username', required: true })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: '10' })),
    h('button', { type: 'submit' }, 'Sign up'),
  );
  const login = h(
    'form',
    { id: 'login-form', class: 'card' },
    h('h2', {}, 'Log in'),
    h('label', {}, 'Username', h('input', { name: 'username', autocomplete: 'username', required: true })),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit' }, 'Log in'),
  );
  signup.addEventListener('submit', (e) => {
    e.preventDefault();
    void act($<HTMLButtonElement>('button', signup), async () => {
      const me = await api.signup(value(signup, 'username'), value(signup, 'password'));
      user = me.user;
      renderSession();
      pinSetupView();
    });
  });
  login.addEventListener('submit', (e) => {
    e.preventDefault();
    void act($<HTMLButtonElement>('button', login), async () => {
      const me = await api.login(value(login, 'username'), value(login, 'password'));
      user = me.user;
      renderSession();
      await afterLogin(me.hasVault);
    });
  });
  app().replaceChildren(h('div', { class: 'columns', id: 'auth' }, login, signup));
  if (message) notice('info', message);
}

async function afterLogin(hasVault: boolean) {
  if (!hasVault) return pinSetupView();
  stored = await api.vault();
  const { vaultId, epoch } = inspectHeader(stored.header);
  const share = await shares.load(vaultId);
  if (!share) return recoverView('This browser holds no key for your vault.');
  const revoked = share.epoch < epoch;
  share.dispose();
  if (revoked) {
    return recoverView('This browser’s key was revoked: the vault was recovered on another device.');
  }
  vaultView();
}

async function loggedOut(message?: string) {
  lockNow();
  stored = null;
  user = null;
  await api.logout().catch(() => {});
  renderSession();
  authView(message);
}

function renderSession() {
  $('#session').replaceChildren(
    user
      ? h(
          'span',
          {},
          h('span', { id: 'whoami' }, user.username),
          ' ',
          h('button', { id: 'logout', type: 'button', class: 'link', onclick: () => void loggedOut('You logged out.') }, 'Log out'),
        )
      : '',
  );
}

// ---------------------------------------------------------------------------------------
// Enrolment: the PIN, then the recovery card

function pinSetupView() {
  const form = h(
    'form',
    { id: 'pin-form', class: 'card' },
    h('h2', {}, 'Protect your vault with a PIN'),
    h(
      'p',
      {},
      'Your vendor credentials will be encrypted in this browser. Opening them needs this browser, the key server and your PIN. ',
      `The key server counts wrong PINs: after ${MAX_GUESSES} in a row it destroys the PIN key.`,
    ),
    h('label', {}, 'PIN (4 to 12 digits)', h('input', { name: 'pin', type: 'password', inputmode: 'numeric', pattern: '[0-9]{4,12}', required: true, autocomplete: 'off' })),
    h('label', {}, 'PIN again', h('input', { name: 'pin2', type: 'password', inputmode: 'numeric', pattern: '[0-9]{4,12}', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Create my vault'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const pin = value(form, 'pin');
    if (pin !== value(form, 'pin2')) return notice('error', 'The two PINs differ.');
    void act($<HTMLButtonElement>('button', form), async () => {
      const enrolled = await enroll({ policy: policy(), servers: servers(), password: pin, maxGuesses: MAX_GUESSES, ...vaultOptions() });
      const { vaultId } = inspectHeader(enrolled.header);
      await shares.save(vaultId, enrolled.deviceShares[0]!);
      enrolled.deviceShares.forEach((s) => s.dispose());
      localStorage.setItem(digestKey(), hex(enrolled.headerDigest));
      stored = await api.putVault({ header: enrolled.header, capsules: enrolled.capsules, expectedEpoch: null });
      vault = enrolled.vault;
      const card = enrolled.cards[0]!;
      const text = card.toSecretText();
      enrolled.cards.forEach((c) => c.dispose());
      await cardView(text, 'Your vault is ready.');
    });
  });
  app().replaceChildren(form);
}

/** Shows a recovery card as text and as a QR code, with a print button. */
async function cardView(cardText: string, heading: string) {
  const svg = await QRCode.toString(cardText, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const qr = h('div', { id: 'card-qr', class: 'qr', 'aria-label': 'recovery card as a QR code' });
  // The SVG comes from the QR encoder, built from the card's own characters only.
  qr.append(new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement);
  const confirm = h('input', { type: 'checkbox', id: 'card-saved' });
  const next = h('button', { id: 'card-done', type: 'button', disabled: true }, 'Continue to my vault');
  confirm.addEventListener('change', () => (next.disabled = !confirm.checked));
  next.addEventListener('click', () => vaultView());
  app().replaceChildren(
    h(
      'section',
      { class: 'card', id: 'recovery-card' },
      h('h2', {}, heading, ' Save your recovery card'),
      h(
        'p',
        {},
        'If you lose this browser, the recovery card and your PIN open your vault from another one. ',
        'Print it or write it down and keep it somewhere safe. It is shown only now.',
      ),
      h('div', { class: 'printable' }, h('h3', {}, `Vendor Vault recovery card — ${user?.username ?? ''}`), h('pre', { id: 'card-text' }, cardText), qr),
      h('p', {}, h('button', { type: 'button', id: 'print-card', onclick: () => window.print() }, 'Print the card')),
      h('label', { class: 'inline' }, confirm, ' I have saved my recovery card'),
      next,
    ),
  );
}

// ---------------------------------------------------------------------------------------
// The vault: lock state, integrations, add, show, run sync

function lockNow() {
  if (vault && !vault.locked) vault.lock();
  vault = null;
}

/** The current vault locked: explicitly (the page already updated) or after idle time. */
function onLocked(reason: 'idle' | 'explicit') {
  $('#credential')?.replaceChildren();
  if (reason === 'idle') {
    vault = null;
    void loggedOut(`Locked after ${config.idleLockSeconds} seconds without activity. Log in again to continue.`);
  }
}

function vaultView() {
  const unlocked = vault !== null && !vault.locked;
  const units = stored?.units ?? [];
  const status = unlocked
    ? h(
        'div',
        { id: 'lock-state', class: 'state unlocked', 'data-state': 'unlocked' },
        h('strong', {}, 'Unlocked'),
        ` — locks after ${config.idleLockSeconds} s without activity. `,
        h('button', { id: 'lock', type: 'button', onclick: () => { lockNow(); vaultView(); } }, 'Lock now'),
      )
    : unlockForm();
  const rows = units.map((u) =>
    h(
      'li',
      { class: 'integration', 'data-vendor': u.vendor },
      h('span', { class: 'vendor' }, u.vendor),
      h('span', { class: 'version' }, `v${u.version}`),
      h('button', { type: 'button', class: 'show', disabled: !unlocked, onclick: (e) => void act(e.currentTarget as HTMLButtonElement, () => show(u.vendor)) }, 'Show'),
      h('button', { type: 'button', class: 'sync', disabled: !unlocked, onclick: (e) => void act(e.currentTarget as HTMLButtonElement, () => runSync(u.vendor)) }, 'Run sync'),
      h('button', { type: 'button', class: 'change', disabled: !unlocked, onclick: () => changeForm(u.vendor) }, 'Change password'),
      h('button', { type: 'button', class: 'remove link', onclick: (e) => void act(e.currentTarget as HTMLButtonElement, () => remove(u.vendor)) }, 'Remove'),
    ),
  );
  const add = h(
    'form',
    { id: 'add-form', class: 'card' },
    h('h2', {}, 'Add a vendor integration'),
    h('label', {}, 'Vendor', h('input', { name: 'vendor', required: true, pattern: '[a-z0-9][a-z0-9.\\-]{0,39}', placeholder: 'acme' })),
    h('label', {}, 'Username at the vendor', h('input', { name: 'username', required: true, autocomplete: 'off' })),
    h('label', {}, 'Password at the vendor', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit', disabled: !unlocked }, 'Encrypt and save'),
    unlocked ? null : h('p', { class: 'hint' }, 'Unlock the vault to add an integration.'),
  );
  add.addEventListener('submit', (e) => {
    e.preventDefault();
    void act($<HTMLButtonElement>('button', add), async () => {
      await addIntegration(value(add, 'vendor'), value(add, 'username'), value(add, 'password'));
      add.reset();
    });
  });
  app().replaceChildren(
    h(
      'section',
      { class: 'card', id: 'vault' },
      h('h2', {}, 'Vendor integrations'),
      status,
      units.length
        ? h('ul', { id: 'integrations' }, ...rows)
        : h('p', { id: 'integrations-empty' }, 'No integrations yet.'),
      h('div', { id: 'credential' }),
    ),
    add,
  );
}

function unlockForm() {
  const form = h(
    'form',
    { id: 'unlock-form', class: 'state locked', 'data-state': 'locked' },
    h('strong', {}, 'Locked. '),
    h('label', { class: 'inline' }, 'PIN ', h('input', { name: 'pin', type: 'password', inputmode: 'numeric', required: true, autocomplete: 'off', size: '8' })),
    ' ',
    h('button', { type: 'submit' }, 'Unlock'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const pin = value(form, 'pin');
    void act($<HTMLButtonElement>('button', form), async () => {
      try {
        await unlockWithPin(pin);
      } catch (e) {
        if (pinKeyDestroyed(e)) return newPinView();
        throw e;
      } finally {
        const input = form.elements.namedItem('pin') as HTMLInputElement | null;
        if (input) input.value = '';
      }
      vaultView();
    });
  });
  return form;
}

/** The key server destroyed the PIN key: this wrong PIN was the last guess, or an earlier one was. */
function pinKeyDestroyed(e: unknown): boolean {
  if (!isQuorumkeyError(e)) return false;
  const left = (e as { guessesRemaining?: number }).guessesRemaining;
  return e.code === 'password_burned' || (e.code === 'wrong_password' && left === 0);
}

/** This browser's device share for the vault of `header`, and the header digest it pinned. */
async function browserKey(header: Uint8Array) {
  const share = await shares.load(inspectHeader(header).vaultId);
  if (!share) throw new Error('This browser holds no key for this vault: recover it with your recovery card.');
  const digest = localStorage.getItem(digestKey());
  return { share, headerDigest: digest ? fromHex(digest) : undefined };
}

async function unlockWithPin(pin: string) {
  stored = await api.vault();
  const { share, headerDigest } = await browserKey(stored.header);
  try {
    vault = await unlock({
      header: stored.header,
      shares: [share],
      capsules: stored.capsules,
      servers: servers(),
      password: pin,
      headerDigest,
      ...vaultOptions(),
    });
  } finally {
    share.dispose();
  }
}

/** The unit index of the stored vault, loaded from this browser's storage (or new). */
async function unitIndex(): Promise<UnitIndex> {
  const { vaultId } = inspectHeader(stored!.header);
  if (index && hex(index.vaultId) === hex(vaultId)) return index;
  index?.dispose();
  index = (await shares.loadIndex(vaultId)) ?? UnitIndex.create(vaultId);
  return index;
}

/** Records that this browser has seen `units` (each the latest version of its credential). */
async function observe(...units: Uint8Array[]) {
  const i = await unitIndex();
  for (const u of units) i.observe(u);
  await shares.saveIndex(i.vaultId, i);
}

/** The credential's unit as the API stores it now (another device may have changed it). */
async function currentUnit(vendor: string): Promise<{ unit: Uint8Array; version: number }> {
  stored = await api.vault();
  return unitOf(vendor);
}

function unitOf(vendor: string): { unit: Uint8Array; version: number } {
  const u = stored?.units.find((x) => x.vendor === vendor);
  if (!u) throw new Error(`no integration named ${vendor}`);
  return u;
}

function openVault(): UnlockedVault {
  if (!vault || vault.locked) throw new Error('Unlock the vault first.');
  return vault;
}

/**
 * Opens one vendor credential: one evaluation at the key server through the unit's own
 * gate (audited there with the label `vendor:<name>`), then decryption in the module.
 */
async function readCredential(v: UnlockedVault, unit: Uint8Array): Promise<{ username: string; password: string }> {
  (await unitIndex()).check(unit);
  const read = v.readUnits([unit]);
  try {
    const responses = await Promise.all(read.requests.map((r) => keyServer.evaluate(r.body)));
    const [result] = read.finish(responses);
    if (!result?.ok) throw result?.error ?? new Error('the credential did not open');
    await observe(unit);
    try {
      return JSON.parse(new TextDecoder().decode(result.plaintext));
    } finally {
      result.plaintext.fill(0);
    }
  } finally {
    read.dispose();
  }
}

/**
 * Seals a credential as unit `vendor:<name>` behind its own POPRF gate with that label: as
 * version 1, or as the next version of `previous` (a changed password, or a rekey).
 */
async function sealCredential(
  v: UnlockedVault,
  vendor: string,
  credential: { username: string; password: string },
  previous?: Uint8Array,
) {
  const keySet = await keyServer.getKeys();
  const gate = { keyId: config.keyId, keySet, info: label(vendor) };
  const text = JSON.stringify(credential);
  const seal = previous ? v.updateGated(previous, text, gate) : v.sealGated(label(vendor), text, gate);
  try {
    return seal.finish(await keyServer.evaluate(seal.request.body));
  } finally {
    seal.dispose();
  }
}

async function addIntegration(vendor: string, username: string, password: string) {
  const v = openVault();
  if (stored?.units.some((u) => u.vendor === vendor)) throw new Error(`${vendor} is already in the vault.`);
  const unit = await sealCredential(v, vendor, { username, password });
  await api.putUnit(vendor, unit, null);
  await observe(unit);
  stored = await api.vault();
  vaultView();
  notice('info', `${vendor}: encrypted in this browser and saved. The app server stores only ciphertext.`);
}

/** The vendor rotated the password: the form for the new one, under the list. */
function changeForm(vendor: string) {
  const form = h(
    'form',
    { id: 'change-form', class: 'credential', 'data-vendor': vendor },
    h('h3', {}, `New password for ${vendor}`),
    h('label', {}, 'Password at the vendor', h('input', { name: 'password', type: 'password', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Encrypt and save'),
    ' ',
    h('button', { type: 'button', class: 'link', onclick: () => $('#credential').replaceChildren() }, 'Cancel'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act($<HTMLButtonElement>('button[type=submit]', form), () => changePassword(vendor, value(form, 'password')));
  });
  $('#credential').replaceChildren(form);
}

/**
 * Seals the credential with its new password as the next version of its unit (through a
 * fresh gate), stores it if the API still has the version it was made from, and records
 * it as the latest this browser has seen.
 */
async function changePassword(vendor: string, password: string) {
  const v = openVault();
  const current = await currentUnit(vendor);
  const { username } = await readCredential(v, current.unit);
  const unit = await sealCredential(v, vendor, { username, password }, current.unit);
  await api.putUnit(vendor, unit, current.version);
  await observe(unit);
  stored = await api.vault();
  vaultView();
  notice('info', `${vendor}: the new password is encrypted in this browser and saved (version ${current.version + 1}).`);
}

async function show(vendor: string) {
  const cred = await readCredential(openVault(), (await currentUnit(vendor)).unit);
  $('#credential').replaceChildren(
    h(
      'div',
      { class: 'credential', 'data-vendor': vendor },
      h('h3', {}, vendor),
      h('dl', {}, h('dt', {}, 'Username'), h('dd', { class: 'cred-username' }, cred.username), h('dt', {}, 'Password'), h('dd', { class: 'cred-password' }, cred.password)),
      h('button', { type: 'button', id: 'hide', onclick: () => $('#credential').replaceChildren() }, 'Hide'),
    ),
  );
}

/**
 * The automation: opens one credential in memory, logs in to the vendor with it from this
 * page, and drops it. The company's servers never see it.
 */
async function runSync(vendor: string) {
  let cred: { username: string; password: string } | null = await readCredential(openVault(), (await currentUnit(vendor)).unit);
  let res: Response;
  try {
    res = await fetch(`${config.vendorUrl}/${encodeURIComponent(vendor)}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(cred),
      credentials: 'omit',
    });
  } catch {
    throw new Error(`${vendor} cannot be reached.`);
  } finally {
    cred = null;
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${vendor} refused the login: ${body.error ?? res.status}`);
  notice('info', `Sync with ${vendor}: ${body.message} (vendor session ${String(body.session).slice(0, 8)}…). The credential was used in this page and discarded.`);
}

async function remove(vendor: string) {
  if (!confirm(`Remove ${vendor} from the vault?`)) return;
  await api.deleteUnit(vendor);
  const i = await unitIndex();
  i.forget(label(vendor));
  await shares.saveIndex(i.vaultId, i);
  stored = await api.vault();
  vaultView();
}

// ---------------------------------------------------------------------------------------
// Recovery on a new device, and revocation of the old one

function recoverView(why: string) {
  const form = h(
    'form',
    { id: 'recover-form', class: 'card' },
    h('h2', {}, 'Recover your vault'),
    h('p', {}, why, ' With your recovery card and your PIN, this browser becomes your device and the old one is revoked.'),
    h('label', {}, 'Recovery card', h('textarea', { name: 'card', rows: '4', required: true, spellcheck: 'false', autocomplete: 'off' })),
    h('label', {}, 'PIN', h('input', { name: 'pin', type: 'password', inputmode: 'numeric', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Recover and revoke the old device'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act($<HTMLButtonElement>('button', form), () => recover(value(form, 'card'), value(form, 'pin')));
  });
  app().replaceChildren(form);
}

/**
 * Recovery: the card and the key server (with the PIN) open the vault; then a rekey deals
 * a new secret to {this browser, key server, a new card}, every credential moves to it,
 * and the key server drops the old key version — the old device's share, the old card and
 * the old capsule open nothing any more.
 */
async function recover(cardText: string, pin: string) {
  stored = await api.vault();
  const current = stored;
  const card = ShareCard.fromText(cardText);
  let old: UnlockedVault;
  try {
    // The old vault lives only for this function: no lock listener.
    old = await unlock({ header: current.header, shares: [card], capsules: current.capsules, servers: servers(), password: pin, idleTimeout: config.idleLockSeconds * 1000 });
  } finally {
    card.dispose();
  }
  await renew(old, current, pin, 'Recovered. The old device and the old card are revoked.');
}

/**
 * A new PIN after the key server destroyed the old PIN key (too many wrong guesses): this
 * browser's share and the recovery card reach the threshold without the key server. The
 * key server gets a new PIN guard (new PIN keys, which open nothing sealed before), then
 * the vault is renewed as in a recovery, behind the new PIN, with a new card.
 */
async function newPin(cardText: string, pin: string) {
  stored = await api.vault();
  const current = stored;
  const { share, headerDigest } = await browserKey(current.header);
  const card = ShareCard.fromText(cardText);
  let old: UnlockedVault;
  try {
    old = await unlock({
      header: current.header,
      shares: [share, card],
      capsules: [],
      servers: servers(),
      headerDigest,
      idleTimeout: config.idleLockSeconds * 1000,
    });
  } finally {
    share.dispose();
    card.dispose();
  }
  try {
    await keyServer.setPassword(old.passwordSetup(config.keyId, MAX_GUESSES));
  } catch (e) {
    // Already set: an earlier attempt got this far (its guard holds this vault's tag).
    if (!(isQuorumkeyError(e) && e.code === 'password_already_set')) {
      old.lock();
      throw e;
    }
  }
  await renew(old, current, pin, 'Your new PIN is set; the old recovery card no longer works.');
}

/**
 * Renews an opened vault: reads every credential, rekeys behind `pin`, seals the
 * credentials again, stores everything, then lets the key server drop the old key version.
 */
async function renew(old: UnlockedVault, current: StoredVault, pin: string, heading: string) {
  try {
    // Every credential is read through its gate (one audited evaluation each) ...
    const credentials = [];
    for (const u of current.units) credentials.push({ vendor: u.vendor, cred: await readCredential(old, u.unit), previous: u.unit });
    // ... the vault gets a new secret and new shares, under a new key version ...
    const next = await rekey(old, { header: current.header, capsules: current.capsules, servers: servers(), policy: policy(), password: pin, ...vaultOptions() });
    // ... and each credential is sealed again behind its gate, under the new vault.
    const units = [];
    for (const { vendor, cred, previous } of credentials) units.push({ vendor, unit: await sealCredential(next.vault, vendor, cred, previous) });
    credentials.length = 0;
    const { vaultId } = inspectHeader(next.header);
    await shares.save(vaultId, next.deviceShares[0]!);
    next.deviceShares.forEach((s) => s.dispose());
    localStorage.setItem(digestKey(), hex(next.headerDigest));
    // Two-phase: the new vault is stored before the old key version is dropped.
    stored = await api.putVault({ header: next.header, capsules: next.capsules, expectedEpoch: current.epoch, units });
    await observe(...units.map((u) => u.unit));
    await next.commit();
    vault = next.vault;
    const text = next.cards[0]!.toSecretText();
    next.cards.forEach((c) => c.dispose());
    await cardView(text, heading);
  } finally {
    old.lock();
  }
}

function newPinView() {
  lockNow();
  const form = h(
    'form',
    { id: 'new-pin-form', class: 'card' },
    h('h2', {}, 'Set a new PIN'),
    h(
      'p',
      {},
      'Too many wrong PINs: the key server destroyed the PIN key for good, so no PIN opens the vault any more. ',
      'This browser and your recovery card still can: they set a new PIN, and you get a new recovery card (the old one stops working).',
    ),
    h('label', {}, 'Recovery card', h('textarea', { name: 'card', rows: '4', required: true, spellcheck: 'false', autocomplete: 'off' })),
    h('label', {}, 'New PIN (4 to 12 digits)', h('input', { name: 'pin', type: 'password', inputmode: 'numeric', pattern: '[0-9]{4,12}', required: true, autocomplete: 'off' })),
    h('label', {}, 'New PIN again', h('input', { name: 'pin2', type: 'password', inputmode: 'numeric', pattern: '[0-9]{4,12}', required: true, autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Set the new PIN'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const pin = value(form, 'pin');
    if (pin !== value(form, 'pin2')) return notice('error', 'The two PINs differ.');
    void act($<HTMLButtonElement>('button', form), () => newPin(value(form, 'card'), pin));
  });
  app().replaceChildren(form);
}

// ---------------------------------------------------------------------------------------
// Start

async function main() {
  await ready();
  config = await api.config();
  keyServer = new KeyServerClient({
    url: config.keyServerUrl,
    token: config.keyServerAuth === 'token' ? () => api.keyServerToken() : undefined,
    headers: { 'x-vendor-vault': '1' },
    timeoutMs: 10000,
  });
  // Activity keeps an unlocked vault open; without any for idleLockSeconds it locks.
  for (const type of ['pointerdown', 'keydown'] as const) {
    document.addEventListener(type, () => {
      if (vault && !vault.locked) vault.touch();
    }, { passive: true });
  }
  try {
    const me = await api.me();
    user = me.user;
    renderSession();
    await afterLogin(me.hasVault);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      renderSession();
      authView();
    } else {
      notice('error', explain(e).text, () => location.reload());
    }
  }
  document.body.dataset.ready = 'true';
}

void main();
