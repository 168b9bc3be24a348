// The UI shell: a hash router, the time-range picker, auto-refresh and the token prompt.
// Each page is a module under pages/ that turns the query API's answers into DOM nodes.
import { api, ApiError, AuthRequiredError, getToken, setToken } from './lib/api.js';
import { h, replaceChildren } from './lib/h.js';
import { time } from './lib/format.js';
import {
  currentRange, DEFAULT_REFRESH_SECONDS, link, parseHash, RANGES, rangeKey, REFRESH_SECONDS, refreshSeconds, withQuery,
} from './lib/state.js';
import * as servicesPage from './pages/services.js';
import * as servicePage from './pages/service.js';
import * as transactionPage from './pages/transaction.js';
import * as tracePage from './pages/trace.js';
import * as errorsPage from './pages/errors.js';
import * as errorPage from './pages/error.js';
import * as metricsPage from './pages/metrics.js';

/**
 * @typedef {{ title: (params: any) => string, section: string, live: boolean, render: (ctx: any) => Promise<Node> }} Page
 * @param {string[]} path decoded segments
 * @returns {{ page: Page, params: Record<string, string> } | null}
 */
function route(path) {
  const [first, second, third, fourth] = path;
  const n = path.length;
  if (n === 0 || (n === 1 && first === 'services')) return { page: servicesPage, params: {} };
  if (first === 'services' && n === 2) return { page: servicePage, params: { service: second } };
  if (first === 'services' && n === 4 && third === 'transactions') return { page: transactionPage, params: { service: second, name: fourth } };
  if (first === 'traces' && n === 2) return { page: tracePage, params: { traceId: second } };
  if (first === 'errors' && n === 1) return { page: errorsPage, params: {} };
  if (first === 'errors' && n === 2) return { page: errorPage, params: { groupId: second } };
  if (first === 'metrics' && n === 1) return { page: metricsPage, params: {} };
  if (first === 'metrics' && n === 2) return { page: metricsPage, params: { service: second } };
  return null;
}

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const controls = /** @type {HTMLElement} */ (document.getElementById('controls'));
let generation = 0;
let inFlight = /** @type {AbortController | null} */ (null);
let refreshTimer = /** @type {number | null} */ (null);
let lastHash = '';
const updatedAt = h('span', { class: 'updated', 'aria-live': 'off' });

function tokenForm(message) {
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h('form', {
    class: 'card token-form',
    on: {
      submit: (event) => {
        event.preventDefault();
        setToken(/** @type {HTMLInputElement} */ (input).value.trim());
        void show({ refresh: false });
      },
    },
  },
  h('h1', null, 'Sign in'),
  h('p', { class: 'notice', role: 'alert' }, message),
  h('p', null, 'Enter the collector’s secret token (or ', h('code', null, 'ApiKey <key>'), '). It is kept for this browser tab only.'),
  h('label', { for: 'token' }, 'Token'),
  input,
  h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  queueMicrotask(() => input.focus());
  return form;
}

function failure(error) {
  if (error instanceof AuthRequiredError) return tokenForm(error.message);
  const message = error instanceof ApiError ? error.message : `Something went wrong: ${error?.message ?? error}`;
  return h('div', { class: 'card failure', role: 'alert' }, h('h1', null, error instanceof ApiError && error.status === 404 ? 'Not found' : 'Could not load this page'), h('p', null, message));
}

function drawControls() {
  const { query } = parseHash();
  const rangeSelect = h('select', {
    id: 'range',
    'aria-label': 'Time range',
    on: { change: (e) => (location.hash = withQuery({ range: /** @type {HTMLSelectElement} */ (e.target).value })) },
  }, RANGES.map(([key, , label]) => h('option', { value: key, selected: key === rangeKey(query) }, label)));
  const seconds = refreshSeconds(query);
  const refreshButton = h('button', {
    type: 'button',
    id: 'refresh-toggle',
    class: 'toggle',
    'aria-pressed': seconds > 0 ? 'true' : 'false',
    on: { click: () => (location.hash = withQuery({ refresh: seconds > 0 ? null : DEFAULT_REFRESH_SECONDS })) },
  }, seconds > 0 ? `Auto-refresh: ${seconds} s` : 'Auto-refresh: off');
  const every = seconds > 0
    ? h('select', {
        'aria-label': 'Refresh every',
        on: { change: (e) => (location.hash = withQuery({ refresh: /** @type {HTMLSelectElement} */ (e.target).value })) },
      }, REFRESH_SECONDS.map((n) => h('option', { value: n, selected: n === seconds }, `every ${n} s`)))
    : null;
  const signOut = getToken()
    ? h('button', { type: 'button', class: 'link-button', on: { click: () => { setToken(null); void show({ refresh: false }); } } }, 'Forget token')
    : null;
  replaceChildren(controls, rangeSelect, refreshButton, every, updatedAt, signOut);
}

function markSection(section) {
  for (const a of document.querySelectorAll('nav a[data-section]')) {
    a.setAttribute('href', link([a.getAttribute('data-section') ?? 'services']));
    if (a.getAttribute('data-section') === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** Renders the page for the current hash; a refresh swaps the new view in only when it is ready. */
async function show({ refresh }) {
  const { path, query } = parseHash();
  const found = route(path);
  const mine = ++generation;
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  drawControls();
  if (found === null) {
    markSection('');
    replaceChildren(main, h('div', { class: 'card failure' }, h('h1', null, 'Not found'), h('p', null, 'No page here. '), h('a', { href: '#/services' }, 'Go to services')));
    return;
  }
  const { page, params } = found;
  markSection(page.section);
  document.title = `${page.title(params)} · Sightline`;
  if (!refresh) {
    main.setAttribute('aria-busy', 'true');
    replaceChildren(main, h('p', { class: 'loading' }, 'Loading…'));
  }
  const ctx = {
    params,
    query,
    range: currentRange(query),
    signal: controller.signal,
    api: (p, options = {}) => api(p, { signal: controller.signal, ...options }),
  };
  let view;
  try {
    view = await page.render(ctx);
  } catch (error) {
    if (controller.signal.aborted || mine !== generation) return;
    if (refresh && !(error instanceof AuthRequiredError)) return; // keep what is shown; the next tick tries again
    view = failure(error);
  }
  if (mine !== generation) return;
  main.removeAttribute('aria-busy');
  replaceChildren(main, view);
  updatedAt.textContent = `Updated ${time(Date.now())}`;
  if (!refresh) main.focus({ preventScroll: true });
  drawControls();
}

function schedule() {
  if (refreshTimer !== null) clearInterval(refreshTimer);
  refreshTimer = null;
  const seconds = refreshSeconds(parseHash().query);
  const found = route(parseHash().path);
  if (seconds === 0 || found === null || !found.page.live) return;
  refreshTimer = window.setInterval(() => {
    if (document.visibilityState === 'visible') void show({ refresh: true });
  }, seconds * 1000);
}

function onHashChange() {
  const { path, query } = parseHash();
  const rest = new URLSearchParams(query);
  rest.delete('refresh');
  const routeOnly = `${path.join('/')}?${rest}`;
  // Toggling auto-refresh alone does not need a reload of the page.
  const refreshOnly = routeOnly === lastHash;
  lastHash = routeOnly;
  schedule();
  if (refreshOnly) {
    drawControls();
    markSection(route(path)?.page.section ?? '');
  }
  else {
    window.scrollTo(0, 0);
    void show({ refresh: false });
  }
}

if (location.hash === '' || location.hash === '#' || location.hash === '#/') history.replaceState(null, '', '#/services');
window.addEventListener('hashchange', onHashChange);
document.getElementById('skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
onHashChange();
