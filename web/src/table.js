// Event table (client-side pages of the loaded events) and export of the current selection.
import { el, clear, familyChip, familyOf, name, fmt, activate } from "./util.js";

const ROWS = 100;
const COLUMNS = ["event_id", "article_id", "date", "event_type", "mode", "family", "actor", "actor_id", "recipient",
  "recipient_id", "place", "country", "admin1", "lat", "lon", "fatalities", "acled_event_type", "conditional", "confidence", "evidence"];

export class TableView {
  constructor(panel, app) {
    this.app = app;
    this.panel = panel;
    this.body = panel.querySelector("tbody");
    this.info = panel.querySelector("#table-info");
    this.events = [];
    this.page = 0;
    this.done = false;
    panel.querySelector("#prev-page").addEventListener("click", () => this.go(this.page - 1));
    panel.querySelector("#next-page").addEventListener("click", () => this.go(this.page + 1));
    panel.querySelector("#export-csv").addEventListener("click", () => this.exportCsv());
    panel.querySelector("#export-geojson").addEventListener("click", () => this.exportGeojson());
  }

  setEvents(events, total, done) {
    const changed = events !== this.events;
    if (changed && events.length < this.events.length) this.page = 0;
    this.events = events;
    this.total = total;
    this.done = done;
    if (!this.panel.hidden) this.render();
    else this.stale = true;
  }

  shown() { if (this.stale) this.render(); }

  go(page) {
    const pages = Math.max(1, Math.ceil(this.events.length / ROWS));
    this.page = Math.max(0, Math.min(pages - 1, page));
    this.render();
  }

  render() {
    this.stale = false;
    const start = this.page * ROWS;
    const rows = this.events.slice(start, start + ROWS);
    clear(this.body);
    for (const ev of rows) {
      const loc = ev.location || {};
      const tr = el("tr", { tabindex: "0", dataset: { eventId: ev.event_id }, "aria-label": `${ev.event_type} ${name(ev.actor)} → ${name(ev.recipient)}; Enter opens the event` },
        el("td", {}, ev.date || "—"),
        el("td", {}, familyChip(ev.event_type), ev.mode ? el("span", { class: "mode" }, ` ${ev.mode}`) : null),
        el("td", {}, name(ev.actor)),
        el("td", {}, ev.recipient ? name(ev.recipient) : "—"),
        el("td", {}, loc.name || "—", loc.country ? el("span", { class: "muted" }, ` ${loc.country}`) : null),
        el("td", { class: "num" }, ev.fatalities ?? ""),
        el("td", { class: "evidence" }, (ev.evidence && ev.evidence.text) || ""));
      activate(tr, () => this.app.openEvent(ev.event_id));
      this.body.append(tr);
    }
    const pages = Math.max(1, Math.ceil(this.events.length / ROWS));
    const more = this.total > this.events.length ? ` (loaded ${fmt(this.events.length)} of ${fmt(this.total)})` : "";
    this.info.textContent = this.events.length
      ? `Events ${fmt(start + 1)}–${fmt(start + rows.length)} of ${fmt(this.total)}${more} · page ${this.page + 1} of ${pages}`
      : "No events match the filters.";
  }

  flat() {
    return this.events.map((ev) => {
      const loc = ev.location || {};
      const cond = ev.modality && ev.modality.condition;
      return { event_id: ev.event_id, article_id: ev.article_id, date: ev.date, event_type: ev.event_type, mode: ev.mode,
        family: familyOf(ev.event_type), actor: ev.actor && ev.actor.name, actor_id: ev.actor && ev.actor.id,
        recipient: ev.recipient && ev.recipient.name, recipient_id: ev.recipient && ev.recipient.id, place: loc.name,
        country: loc.country, admin1: loc.admin1, lat: loc.lat, lon: loc.lon, fatalities: ev.fatalities,
        acled_event_type: ev.acled_event_type, conditional: cond ? cond.text : null, confidence: ev.confidence,
        evidence: ev.evidence && ev.evidence.text };
    });
  }

  exportCsv() {
    const lines = [COLUMNS.join(",")];
    for (const row of this.flat()) lines.push(COLUMNS.map((c) => csvCell(row[c])).join(","));
    download(`marsad-events-${stamp()}.csv`, "text/csv;charset=utf-8", "\ufeff" + lines.join("\r\n") + "\r\n");
  }

  exportGeojson() {
    const features = this.flat().filter((r) => Number.isFinite(r.lat) && Number.isFinite(r.lon)).map((r) => {
      const { lat, lon, ...props } = r;
      return { type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: props };
    });
    download(`marsad-events-${stamp()}.geojson`, "application/geo+json",
      JSON.stringify({ type: "FeatureCollection", features }));
  }
}

function csvCell(v) {
  if (v === null || v === undefined) return "";
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // no formulas when opened in a spreadsheet
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function stamp() { return new Date().toISOString().slice(0, 10); }

function download(filename, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}
