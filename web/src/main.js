// marsad dashboard: state in the URL hash, events paged from /api/events, views updated on every change.
import { api, el, clear, append, fmt, PLOVER_TYPES, FAMILIES } from "./util.js";
import { MapView } from "./map.js";
import { Timeline } from "./timeline.js";
import { NetworkView } from "./network.js";
import { TableView } from "./table.js";
import { Detail } from "./detail.js";
import { AlertsView } from "./alerts.js";

const FILTERS = ["since", "until", "country", "admin1", "actor", "event_type", "q", "min_sources", "bbox"];
const VIEWS = ["map", "network", "table", "alerts"];
const FIRST_PAGE = 500; // small first page: markers show before the rest arrives
const PAGE = 1000; // the API's largest page
const MAX_EVENTS = 20000; // loaded into the browser at most; narrow the filters for more
const PARALLEL = 4;

const timings = { start: performance.now() };
window.marsad = { timings, events: [], total: 0 };

// -- state <-> URL -------------------------------------------------------------------------------
function readHash() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ""));
  const filters = {};
  for (const k of FILTERS) if (p.get(k)) filters[k] = p.get(k);
  const view = VIEWS.includes(p.get("view")) ? p.get("view") : "map";
  return { filters, view, ev: p.get("ev") || null, who: p.get("who") || null, article: p.get("article") || null };
}

let state = readHash();
let writingHash = false;

function writeHash() {
  const p = new URLSearchParams();
  for (const k of FILTERS) if (state.filters[k]) p.set(k, state.filters[k]);
  if (state.view !== "map") p.set("view", state.view);
  for (const k of ["ev", "who", "article"]) if (state[k]) p.set(k, state[k]);
  const hash = p.toString() ? `#${p}` : "";
  if (hash !== location.hash && !(hash === "" && location.hash === "#")) {
    writingHash = true;
    history.replaceState(null, "", hash || location.pathname + location.search);
    writingHash = false;
  }
}

// -- views ---------------------------------------------------------------------------------------
const status = document.getElementById("status");
const setStatus = (text) => { status.textContent = text; };

const app = {
  openEvent(id) { state.ev = id; state.who = null; state.article = null; writeHash(); detail.showEvent(id); },
  openActor(key) { state.who = key; state.ev = null; state.article = null; writeHash(); detail.showActor(key); },
  openArticle(id) { state.article = id; state.ev = null; state.who = null; writeHash(); detail.showArticle(id); },
  showList(label, events) { detail.showList(label, events); },
  closeDetail() { state.ev = state.who = state.article = null; writeHash(); },
  setFilters(changes) {
    state.filters = { ...state.filters, ...changes };
    for (const k of Object.keys(state.filters)) if (!state.filters[k]) delete state.filters[k];
    writeHash();
    fillForm();
    refresh();
  },
  get filters() { return state.filters; },
};

const map = new MapView(document.getElementById("map"), app, timings);
const timeline = new Timeline(document.getElementById("timeline"), app);
const network = new NetworkView(document.getElementById("panel-network"), app);
const table = new TableView(document.getElementById("panel-table"), app);
const alertsView = new AlertsView(document.getElementById("alerts-list"), app);
const detail = new Detail(document.getElementById("detail"), app);
window.marsad.map = map;
window.marsad.network = network;

// -- tabs (WAI-ARIA tabs: arrow keys move between tabs) -----------------------------------------
const tabs = [...document.querySelectorAll('[role="tab"]')];
function showView(view, focus = false) {
  state.view = view;
  for (const tab of tabs) {
    const on = tab.dataset.view === view;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) tab.focus();
  }
  writeHash();
  if (view === "map") map.shown();
  if (view === "network") network.shown();
  if (view === "alerts") alertsView.shown();
  if (view === "table") table.shown();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => showView(tab.dataset.view));
  tab.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    showView(tabs[(next + tabs.length) % tabs.length].dataset.view, true);
  });
}

// -- filter form -----------------------------------------------------------------------------------
const form = document.getElementById("filters");
const typeSelect = form.elements.event_type;
for (const [fam, f] of Object.entries(FAMILIES)) {
  const group = el("optgroup", { label: f.label });
  for (const t of f.types) group.append(el("option", { value: t }, t));
  typeSelect.append(group);
}
function fillForm() {
  for (const k of FILTERS) if (form.elements[k]) form.elements[k].value = state.filters[k] || "";
  form.elements.in_view.checked = !!state.filters.bbox;
}
form.addEventListener("submit", (e) => {
  e.preventDefault();
  const changes = {};
  for (const k of FILTERS) if (form.elements[k]) changes[k] = form.elements[k].value.trim();
  changes.bbox = form.elements.in_view.checked ? map.bbox() : "";
  if (changes.country) changes.country = changes.country.toUpperCase();
  app.setFilters(changes);
});
form.addEventListener("reset", (e) => {
  e.preventDefault();
  state.filters = {};
  writeHash();
  fillForm();
  refresh();
});
// actor suggestions
const actorList = document.getElementById("actor-options");
let suggestTimer = null;
form.elements.actor.addEventListener("input", () => {
  clearTimeout(suggestTimer);
  const q = form.elements.actor.value.trim();
  if (q.length < 2) return;
  suggestTimer = setTimeout(async () => {
    const body = await api("/api/actors", { q, limit: 20 }).catch(() => null);
    if (!body) return;
    clear(actorList);
    for (const a of body.items) actorList.append(el("option", { value: a.name }));
  }, 200);
});

// -- loading ---------------------------------------------------------------------------------------
let generation = 0;
let controller = null;

async function loadEvents() {
  const gen = ++generation;
  if (controller) controller.abort();
  controller = new AbortController();
  const signal = controller.signal;
  const f = state.filters;
  setStatus("Loading events…");
  const first = await api("/api/events", { ...f, limit: FIRST_PAGE, offset: 0 }, signal);
  if (gen !== generation) return;
  let events = first.items;
  const total = first.total;
  const wanted = Math.min(total, MAX_EVENTS);
  window.marsad.total = total;
  publish(events, total, false);
  const offsets = [];
  for (let off = FIRST_PAGE; off < wanted; off += PAGE) offsets.push(off);
  const pages = new Array(offsets.length);
  let next = 0;
  let lastDraw = performance.now();
  async function worker() {
    while (next < offsets.length) {
      const i = next++;
      const body = await api("/api/events", { ...f, limit: Math.min(PAGE, wanted - offsets[i]), offset: offsets[i] }, signal);
      if (gen !== generation) return;
      pages[i] = body.items;
      const got = events.length + pages.filter(Boolean).reduce((n, p) => n + p.length, 0);
      setStatus(`Loading events… ${fmt(got)} of ${fmt(wanted)}`);
      if (performance.now() - lastDraw > 400) {
        lastDraw = performance.now();
        publish(events.concat(...pages.filter(Boolean)), total, false);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, offsets.length) }, worker));
  if (gen !== generation) return;
  events = events.concat(...pages);
  publish(events, total, true);
}

function publish(events, total, done) {
  window.marsad.events = events;
  map.setEvents(events);
  table.setEvents(events, total, done);
  if (done) {
    timings.allLoaded = performance.now();
    const capped = total > events.length ? ` (the first ${fmt(events.length)}: narrow the filters to see the rest)` : "";
    setStatus(`${fmt(total)} events match${capped}.`);
    document.body.dataset.loaded = "true";
  }
}

async function refresh() {
  document.body.dataset.loaded = "false";
  const f = state.filters;
  const jobs = [
    loadEvents().catch((e) => { if (e.name !== "AbortError") setStatus(`Could not load events: ${e.message}`); }),
    timeline.load(f).catch((e) => console.error(e)),
    network.load(f).catch((e) => console.error(e)),
  ];
  await Promise.all(jobs);
}

function openFromState() {
  if (state.ev) detail.showEvent(state.ev);
  else if (state.who) detail.showActor(state.who);
  else if (state.article) detail.showArticle(state.article);
  else detail.empty();
}

window.addEventListener("hashchange", () => {
  if (writingHash) return;
  const before = JSON.stringify(state.filters);
  state = readHash();
  fillForm();
  showView(state.view);
  openFromState();
  if (JSON.stringify(state.filters) !== before) refresh();
});

document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && !e.defaultPrevented) detail.close();
});

fillForm();
showView(state.view);
openFromState();
refresh(); // events load while the basemap does (markers sit above it)
alertsView.load().catch((e) => console.error(e));
