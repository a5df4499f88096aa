// The operator's view: accounts, each vault's public metadata, and what the key server
// knows about the user — key versions, PIN guess limit, rate limit, and the audit log of
// every evaluation (a unit-gate read names its vendor through its POPRF label).
// The operator token comes from the URL fragment (#token=…) or is typed in; it is sent to
// the API only.
import { $, h, value } from './dom';
import './style.css';

let token = new URLSearchParams(location.hash.slice(1)).get('token') ?? sessionStorage.getItem('vv-admin') ?? '';

async function get(path: string) {
  const r = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new Error(data?.error?.message ?? `HTTP ${r.status}`);
  return data;
}

const fromHex = (s: string) => new TextDecoder().decode(Uint8Array.from(s.match(/../g) ?? [], (x) => parseInt(x, 16)));
const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const cell = (v: unknown, cls = '') => h('td', cls ? { class: cls } : {}, v === null || v === undefined ? '—' : String(v));

function loginView(message?: string) {
  const form = h(
    'form',
    { class: 'card', id: 'admin-login' },
    h('h2', {}, 'Operator token'),
    h('label', {}, 'Token', h('input', { name: 'token', type: 'password', required: true })),
    h('button', { type: 'submit' }, 'Open'),
    message ? h('p', { class: 'hint' }, message) : null,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    token = value(form, 'token');
    void users();
  });
  $('#app').replaceChildren(form);
}

async function users() {
  let data;
  try {
    data = await get('/api/admin/users');
  } catch (e) {
    return loginView((e as Error).message);
  }
  sessionStorage.setItem('vv-admin', token);
  history.replaceState(null, '', location.pathname);
  $('#app').replaceChildren(
    h(
      'section',
      { class: 'card' },
      h('h2', {}, `Users (key server: ${data.keyServerMode})`),
      h(
        'table',
        { id: 'users' },
        h('tr', {}, h('th', {}, 'username'), h('th', {}, 'user id (the key server’s sub)'), h('th', {}, 'vault epoch'), h('th', {}, 'vendors')),
        ...data.users.map((u: any) =>
          h(
            'tr',
            {},
            h('td', {}, h('button', { class: 'link user', type: 'button', 'data-user': u.username, onclick: () => void user(u.id) }, u.username)),
            cell(u.id, 'mono'),
            cell(u.epoch),
            cell(u.vendors.join(', ')),
          ),
        ),
      ),
    ),
    h('div', { id: 'detail' }),
  );
}

function auditTable(events: any[]) {
  return h(
    'table',
    { id: 'audit' },
    h('tr', {}, ...['seq', 'time (UTC)', 'action', 'purpose', 'key version', 'label', 'elements', 'guesses left'].map((t) => h('th', {}, t))),
    ...events.map((e) =>
      h(
        'tr',
        { class: `audit-${e.purpose ?? e.action}` },
        cell(e.seq),
        cell(e.time_ms ? time(e.time_ms) : null),
        cell(e.action),
        cell(e.purpose),
        cell(e.key_version),
        cell(e.info ? fromHex(e.info) : null, 'mono label'),
        cell(e.element_count),
        cell(e.guesses_remaining),
      ),
    ),
  );
}

function keyServerState(ks: any) {
  if (ks.error) return h('p', { class: 'error' }, ks.error);
  const g = ks.guard ?? {};
  const pin =
    g.state === 'active'
      ? `active: ${g.guessesRemaining} of ${g.maxGuesses} guesses left`
      : g.state === 'burned'
        ? `burned after ${g.maxGuesses} wrong guesses: the PIN key is destroyed`
        : 'off';
  return h(
    'table',
    { id: 'ks-state' },
    h('tr', {}, h('th', {}, 'key server'), cell(ks.mode === 'embedded' ? 'embedded in the API (npm package)' : 'quorumkey-server')),
    h('tr', {}, h('th', {}, 'key versions'), cell(ks.keyVersions.map((v: any) => `v${v.version}${v.generation ? ` (seed generation ${v.generation})` : ''}${v.current ? '' : ' — on a retiring generation'}`).join(', '))),
    h('tr', {}, h('th', {}, 'PIN guess limit'), cell(pin, 'guard')),
    h('tr', {}, h('th', {}, 'rate limit'), cell(ks.rateLimit ? `${ks.rateLimit.burst} evaluations burst, ${ks.rateLimit.perMinute} per minute (per user)` : 'none (embedded)')),
  );
}

async function user(id: string) {
  const d = await get(`/api/admin/users/${encodeURIComponent(id)}`);
  const ks = d.keyServer;
  const events: any[] = Array.isArray(ks.audit) ? ks.audit : [];
  const gates = events.filter((e) => e.purpose === 'unit_gate');
  $('#detail').replaceChildren(
    h(
      'section',
      { class: 'card', id: 'user-detail' },
      h('h2', {}, `${d.user.username}`),
      h('h3', {}, 'Vault (public metadata the API stores)'),
      d.vault
        ? h(
            'table',
            {},
            h('tr', {}, h('th', {}, 'epoch'), cell(d.vault.epoch)),
            h('tr', {}, h('th', {}, 'capsules'), cell(d.vault.capsules.map((c: any) => `${c.keyId} v${c.keyVersion} ${c.purpose}${c.needsPassword ? ' (PIN)' : ''}`).join('; '))),
            h('tr', {}, h('th', {}, 'units'), cell(d.vault.units.map((u: any) => `${u.vendor} (unit v${u.version}, gate key v${u.gateKeyVersion})`).join('; '))),
          )
        : h('p', {}, 'no vault'),
      h('h3', {}, 'Key server state'),
      keyServerState(ks),
      h('h3', {}, `Audit: ${events.length} events, ${gates.length} unit-gate evaluations`),
      h('p', { class: 'hint' }, 'Each unit-gate evaluation is one seal or one read of one vendor credential, named by its POPRF label. The key server never sees the credential.'),
      auditTable(events),
    ),
  );
}

if (token) void users();
else loginView();
document.body.dataset.ready = 'true';
