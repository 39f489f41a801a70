// The side panel: event card (with its sources and the conditional-threat box), article reader with the
// evidence, actors, places and dates highlighted from the character offsets, actor panel, lists.
// Article text is untrusted: it is cut into text nodes, never parsed as HTML.
import { api, el, clear, enc, name, fmt, familyChip, familyOf, FAMILIES, activate } from "./util.js";

const ACLED_INTER = { 1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia", 5: "Rioters",
  6: "Protesters", 7: "Civilians", 8: "External/Other forces" };

export class Detail {
  constructor(node, app) {
    this.node = node;
    this.app = app;
    this.body = node.querySelector("#detail-body");
    this.title = node.querySelector("#detail-title");
    this.opener = null;
    this.seq = 0;
    node.querySelector("#detail-close").addEventListener("click", () => this.close());
  }

  begin(title) {
    const active = document.activeElement;
    if (active && !this.node.contains(active)) this.opener = active;
    this.node.classList.add("open");
    this.title.textContent = title;
    clear(this.body).append(el("p", { class: "muted" }, "Loading…"));
    return ++this.seq;
  }

  focus() { this.title.focus({ preventScroll: false }); }

  empty() {
    this.node.classList.remove("open");
    this.title.textContent = "Details";
    clear(this.body).append(el("p", { class: "muted" },
      "Select a marker, a table row, an actor or an alert to see the event, its evidence and the article here."));
  }

  close() {
    if (!this.node.classList.contains("open")) return;
    this.app.closeDetail();
    this.empty();
    if (this.opener && document.contains(this.opener)) this.opener.focus();
  }

  fail(seq, err) {
    if (seq !== this.seq) return;
    clear(this.body).append(el("p", { class: "error", role: "alert" }, String(err.message || err)));
  }

  // -- event card ----------------------------------------------------------------------------------
  async showEvent(id) {
    const seq = this.begin("Event");
    let d;
    try { d = await api(`/api/events/${enc(id)}`); } catch (e) { return this.fail(seq, e); }
    if (seq !== this.seq) return;
    const ev = d.event;
    const loc = ev.location;
    const m = ev.modality || {};
    const flags = ["negated", "hypothetical", "hedged"].filter((k) => m[k]);
    const card = el("article", { class: "event-card", "aria-labelledby": "detail-title", dataset: { eventId: ev.event_id } },
      el("p", { class: "headline" }, familyChip(ev.event_type), ev.mode ? ` (${ev.mode})` : "", " ",
        el("span", { class: "muted" }, FAMILIES[familyOf(ev.event_type)].label)),
      el("p", { class: "who" }, this.actorButton(ev.actor, "actor"), " → ", this.actorButton(ev.recipient, "recipient")),
      el("dl", { class: "facts" },
        fact("Date", ev.date ? `${ev.date}${ev.date_text ? ` (“${ev.date_text}”)` : ""}` : "not reported"),
        fact("Place", loc ? [loc.name, loc.admin1, loc.country].filter(Boolean).join(", ") : "not located"),
        ev.fatalities != null ? fact("Fatalities", String(ev.fatalities)) : null,
        ev.acled_event_type ? fact("ACLED", `${ev.acled_event_type}${ev.acled_sub_event_type ? ` / ${ev.acled_sub_event_type}` : ""}`) : null,
        ev.speaker ? fact("Speaker", name(ev.speaker)) : null,
        flags.length ? fact("Modality", flags.join(", ")) : null,
        fact("Confidence", ev.confidence != null ? Number(ev.confidence).toFixed(2) : "—"),
        fact("Sources", `${d.n_sources}`)),
      m.condition ? el("section", { class: "condition", role: "note", "aria-label": "Conditional threat" },
        el("h3", {}, "Conditional threat"),
        el("p", {}, "Only if: ", el("q", {}, m.condition.text)),
        el("p", { class: "muted" }, `Trigger: ${m.condition.event_type || "an event"}${m.condition.actor ? ` by ${name(m.condition.actor)}` : ""}`)) : null,
      el("blockquote", { class: "evidence-quote" }, (d.evidence && d.evidence.text) || ev.evidence.text),
      el("h3", {}, `Reported by ${d.articles.length} article${d.articles.length === 1 ? "" : "s"} (${d.sources.length} source${d.sources.length === 1 ? "" : "s"})`),
      el("ul", { class: "sources" }, d.articles.map((a) => {
        const li = el("li", { tabindex: "0", role: "button", class: "source", dataset: { articleId: a.id } },
          el("strong", {}, a.source || a.id), " · ", a.title || a.id, a.published ? el("span", { class: "muted" }, ` · ${a.published}`) : null);
        activate(li, () => this.reader(a.id, a.event_id, a.evidence));
        return li;
      })),
      el("div", { id: "reader" }));
    clear(this.body).append(card);
    this.title.textContent = `${ev.event_type}: ${name(ev.actor)} → ${name(ev.recipient)}`;
    this.focus();
    const first = d.articles.find((a) => a.event_id === ev.event_id) || d.articles[0];
    if (first) await this.reader(first.id, first.event_id, first.evidence, seq);
  }

  actorButton(actor, role) {
    if (!actor) return el("span", { class: "muted" }, "—");
    const key = actor.id || actor.name;
    return el("button", { type: "button", class: `link hl-${role}-key`, onclick: () => this.app.openActor(key),
      "aria-label": `${role} ${name(actor)}: open the actor panel` }, name(actor));
  }

  // -- article reader ------------------------------------------------------------------------------
  async reader(articleId, eventId, evidence, seq = this.seq) {
    let art;
    try { art = await api(`/api/articles/${enc(articleId)}`); } catch (e) { return this.fail(seq, e); }
    if (seq !== this.seq) return;
    const box = this.body.querySelector("#reader") || this.body;
    const ev = art.events.find((e) => e.event_id === eventId) || null;
    const spans = ev ? highlights(art.text, ev, evidence) : [];
    const text = el("div", { class: "article-text", tabindex: "0", "aria-label": "Article text" });
    renderHighlighted(text, art.text, spans);
    clear(box).append(
      el("h3", {}, "Article"),
      el("p", { class: "article-meta" }, el("strong", { class: "article-title" }, art.title || art.id),
        el("span", { class: "muted" }, [art.source, art.published].filter(Boolean).map((s) => ` · ${s}`).join("")),
        art.url && /^https?:\/\//i.test(art.url) ? [" · ", el("a", { href: art.url, rel: "noopener noreferrer", target: "_blank" }, "original")] : null),
      el("p", { class: "key", "aria-hidden": "true" },
        el("mark", { class: "hl-evidence" }, "evidence"), " ", el("mark", { class: "hl-actor" }, "actor"), " ",
        el("mark", { class: "hl-recipient" }, "recipient"), " ", el("mark", { class: "hl-place" }, "place"), " ",
        el("mark", { class: "hl-date" }, "date"), " ", el("mark", { class: "hl-condition" }, "condition")),
      text);
    const current = text.querySelector(".hl-evidence");
    if (current) text.scrollTop = Math.max(0, current.offsetTop - 40); // only the reader scrolls
  }

  async showArticle(id) {
    const seq = this.begin("Article");
    clear(this.body).append(el("div", { id: "reader" }));
    await this.reader(id, null, null, seq);
    this.focus();
  }

  // -- actor panel ---------------------------------------------------------------------------------
  async showActor(key) {
    const seq = this.begin("Actor");
    let d;
    try { d = await api(`/api/actors/${enc(key)}`, { limit: 50 }); } catch (e) { return this.fail(seq, e); }
    if (seq !== this.seq) return;
    const a = d.actor;
    const role = [a.kind, a.sector, a.acled_inter ? ACLED_INTER[a.acled_inter] : null, a.provisional ? "provisional (not in the registry)" : null]
      .filter(Boolean).join(" · ");
    const panel = el("article", { class: "actor-panel", dataset: { actorKey: a.key } },
      el("dl", { class: "facts" },
        fact("Key", a.key), fact("Role", role || "—"), fact("Country", a.country || "—"),
        a.parent ? fact("Part of", a.parent) : null, fact("Events", fmt(a.events))),
      el("button", { type: "button", class: "primary", onclick: () => this.app.setFilters({ actor: a.key }) },
        `Show only events of ${a.name}`),
      el("h3", {}, "Aliases"),
      a.aliases && a.aliases.length ? el("ul", { class: "aliases" }, a.aliases.map((x) => el("li", {}, x))) : el("p", { class: "muted" }, "none recorded"),
      el("h3", {}, "Counterparts"),
      el("ul", { class: "counterparts" }, d.counterparts.map((c) => {
        const fams = Object.entries(c.families || {}).map(([f, n]) => `${FAMILIES[f] ? FAMILIES[f].label.toLowerCase() : f} ${n}`).join(", ");
        const li = el("li", { tabindex: "0", role: "button" }, el("strong", {}, c.name || c.key),
          el("span", { class: "muted" }, ` · ${c.as_actor} as actor, ${c.as_recipient} as recipient · ${fams}`));
        activate(li, () => this.app.openActor(c.key));
        return li;
      })),
      el("h3", {}, "Latest events"),
      eventList(d.events, this.app));
    clear(this.body).append(panel);
    this.title.textContent = a.name;
    this.focus();
  }

  showList(label, events) {
    this.begin(label);
    clear(this.body).append(eventList(events, this.app));
    this.focus();
  }
}

function fact(label, value) {
  return [el("dt", {}, label), el("dd", {}, value)];
}

export function eventList(events, app) {
  const list = el("ul", { class: "event-list", "aria-label": "Events" });
  for (const ev of events) {
    const li = el("li", { tabindex: "0", role: "button", dataset: { eventId: ev.event_id } },
      familyChip(ev.event_type), " ", `${name(ev.actor)} → ${name(ev.recipient)}`,
      el("span", { class: "muted" }, ` · ${ev.date || "undated"}${ev.location ? ` · ${ev.location.name}` : ""}`));
    activate(li, () => app.openEvent(ev.event_id));
    list.append(li);
  }
  if (!events.length) list.append(el("li", { class: "muted" }, "No events."));
  return list;
}

/** [start, end, kind] spans of the article text to highlight for one event. */
export function highlights(text, ev, evidence) {
  const spans = [];
  const ok = (s, e) => Number.isInteger(s) && Number.isInteger(e) && s >= 0 && e <= text.length && s < e;
  let ev0 = evidence || ev.evidence;
  if (ev0) {
    let { start, end } = ev0;
    if (!ok(start, end) || (ev0.text && text.slice(start, end) !== ev0.text)) {
      const at = ev0.text ? text.indexOf(ev0.text) : -1;
      if (at >= 0) { start = at; end = at + ev0.text.length; }
    }
    if (ok(start, end)) { spans.push([start, end, "evidence"]); ev0 = { start, end }; } else ev0 = null;
  }
  for (const [field, kind] of [["actor", "actor"], ["recipient", "recipient"], ["location", "place"], ["speaker", "actor"]]) {
    const x = ev[field];
    if (x && ok(x.start, x.end)) spans.push([x.start, x.end, kind]);
  }
  // dates and conditions carry no offsets: find their words inside the evidence
  const within = (needle, kind) => {
    if (!needle || !ev0) return;
    const at = text.slice(ev0.start, ev0.end).indexOf(needle);
    if (at >= 0) spans.push([ev0.start + at, ev0.start + at + needle.length, kind]);
  };
  within(ev.date_text, "date");
  const cond = ev.modality && ev.modality.condition;
  if (cond) {
    within(cond.text, "condition");
    if (cond.actor && ok(cond.actor.start, cond.actor.end)) spans.push([cond.actor.start, cond.actor.end, "actor"]);
  }
  return spans;
}

/** Cuts `text` at every span boundary; each piece is a text node, wrapped in <mark>s for the spans covering it. */
export function renderHighlighted(node, text, spans) {
  const cuts = new Set([0, text.length]);
  for (const [s, e] of spans) { cuts.add(s); cuts.add(e); }
  const points = [...cuts].sort((a, b) => a - b);
  let evidenceNode = null;
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    const piece = document.createTextNode(text.slice(a, b));
    const kinds = spans.filter(([s, e]) => s <= a && b <= e).map(([, , k]) => k);
    if (!kinds.length) { node.append(piece); continue; }
    const inner = kinds.filter((k) => k !== "evidence");
    let leaf = piece;
    if (inner.length) leaf = el("mark", { class: inner.map((k) => `hl-${k}`).join(" "), title: inner.join(", ") }, piece);
    if (kinds.includes("evidence")) {
      if (!evidenceNode || evidenceNode.dataset.end !== String(a)) {
        evidenceNode = el("mark", { class: "hl-evidence", dataset: { end: String(b) }, title: "evidence" });
        node.append(evidenceNode);
      }
      evidenceNode.append(leaf);
      evidenceNode.dataset.end = String(b);
    } else node.append(leaf);
  }
}
