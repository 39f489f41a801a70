// Shared helpers. Every value from the API is untrusted: it reaches the page only as text
// (textContent, attributes set one by one), never through innerHTML.

export const FAMILIES = {
  verbal_cooperation: { label: "Verbal cooperation", color: "#2e9e5b", types: ["AGREE", "CONSULT", "SUPPORT", "CONCEDE"] },
  material_cooperation: { label: "Material cooperation", color: "#2b6cb0", types: ["COOPERATE", "AID", "RETREAT"] },
  verbal_conflict: { label: "Verbal conflict", color: "#d69e2e", types: ["REQUEST", "ACCUSE", "REJECT", "THREATEN"] },
  material_conflict: { label: "Material conflict", color: "#c53030", types: ["PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"] },
};
const TYPE_FAMILY = {};
for (const [fam, f] of Object.entries(FAMILIES)) for (const t of f.types) TYPE_FAMILY[t] = fam;
export const PLOVER_TYPES = Object.values(FAMILIES).flatMap((f) => f.types);
export const familyOf = (type) => TYPE_FAMILY[String(type || "").toUpperCase()] || "verbal_conflict";

/** el("div", {class: "x", "aria-label": "y", onclick: fn}, child, "text", ...) — text children become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export class HttpError extends Error {}

export async function api(path, params = {}, signal) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") qs.set(k, v);
  const url = qs.toString() ? `${path}?${qs}` : path;
  const r = await fetch(url, { signal, headers: { Accept: "application/json" } });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new HttpError((body && body.error && body.error.message) || `${r.status} ${url}`);
  return body;
}

export const enc = (id) => encodeURIComponent(id);
export const name = (actor) => (actor && (actor.name || actor.text)) || "—";
export const fmt = (n) => Number(n || 0).toLocaleString("en");

export function familyChip(type) {
  const fam = familyOf(type);
  return el("span", { class: `chip fam-${fam}`, title: FAMILIES[fam].label }, String(type || "?"));
}

/** Calls fn on Enter or Space as well as on click (for elements given role=button or focusable rows). */
export function activate(node, fn) {
  node.addEventListener("click", fn);
  if (node.tagName === "BUTTON" || node.tagName === "A") return node; // native Enter/Space
  node.addEventListener("keydown", (e) => {
    if (e.target === node && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      fn(e);
    }
  });
  return node;
}
