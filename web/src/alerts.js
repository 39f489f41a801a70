// Alerts panel (/api/alerts): spikes, new actors, triggered commitments, newest first.
import { api, el, clear, activate } from "./util.js";

export class AlertsView {
  constructor(list, app) {
    this.list = list;
    this.app = app;
    this.loaded = false;
  }

  shown() { this.load(); }

  async load() {
    const body = await api("/api/alerts", { limit: 200 });
    clear(this.list);
    const tab = document.querySelector('[data-view="alerts"] .badge');
    if (tab) tab.textContent = body.items.length ? String(body.items.length) : "";
    for (const a of body.items) {
      const ev = a.payload && (a.payload.event || (a.payload.trigger && a.payload.trigger));
      const li = el("li", { class: `alert alert-${a.kind}`, tabindex: ev && ev.event_id ? "0" : null, role: ev && ev.event_id ? "button" : null },
        el("span", { class: "alert-kind" }, a.kind.replace(/_/g, " ")), " ",
        el("strong", {}, a.title),
        el("span", { class: "muted" }, ` · ${String(a.created_at).slice(0, 16).replace("T", " ")}`),
        ev && ev.evidence && typeof ev.evidence === "string" ? el("blockquote", {}, ev.evidence) : null);
      if (ev && ev.event_id) activate(li, () => this.app.openEvent(ev.event_id));
      this.list.append(li);
    }
    if (!body.items.length) this.list.append(el("li", { class: "muted" }, "No alerts."));
  }
}
