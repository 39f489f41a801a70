// Actor network (Cytoscape): who threatens / supports / attacks whom, from /api/network with the
// current filters; an edge list beside it says the same for keyboards and screen readers.
import cytoscape from "cytoscape";
import { api, el, clear, FAMILIES, activate, fmt } from "./util.js";

export class NetworkView {
  constructor(panel, app) {
    this.app = app;
    this.panel = panel;
    this.node = panel.querySelector("#cy");
    this.list = panel.querySelector("#edge-list");
    this.form = panel.querySelector("#network-controls");
    this.summary = panel.querySelector("#network-summary");
    this.graph = null;
    this.cy = null;
    this.dirty = true;
    this.form.addEventListener("change", () => this.load(this.app.filters));
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.load(this.app.filters); });
  }

  async load(filters) {
    const family = this.form.elements.family.value;
    const minWeight = this.form.elements.min_weight.value || 1;
    this.graph = await api("/api/network", { ...filters, family, min_weight: minWeight, limit: 300 });
    this.dirty = true;
    this.renderList();
    if (!this.panel.hidden) this.draw();
  }

  shown() { if (this.dirty) this.draw(); else if (this.cy) this.cy.resize(); }

  draw() {
    if (!this.graph || this.panel.hidden) return;
    this.dirty = false;
    const g = this.graph;
    const used = new Set(g.edges.flatMap((e) => [e.source, e.target]));
    const maxW = Math.max(1, ...g.nodes.map((n) => n.weighted_degree));
    const elements = [
      ...g.nodes.filter((n) => used.has(n.key)).map((n) => ({ data: { id: n.key, label: n.name || n.key,
        size: 18 + 34 * Math.sqrt(n.weighted_degree / maxW) } })),
      ...g.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, family: e.family,
        weight: e.weight, label: typesLabel(e.types), color: FAMILIES[e.family] ? FAMILIES[e.family].color : "#777",
        width: 1 + Math.min(8, Math.log2(1 + e.weight) * 2) } })),
    ];
    if (this.cy) this.cy.destroy();
    this.cy = cytoscape({
      container: this.node,
      elements,
      style: [
        { selector: "node", style: { label: "data(label)", width: "data(size)", height: "data(size)", "background-color": "#4a5568",
          "font-size": 10, "text-valign": "bottom", "text-margin-y": 3, "text-wrap": "wrap", "text-max-width": 110,
          "text-background-color": "#fff", "text-background-opacity": 0.7, "text-background-padding": 1 } },
        { selector: "node:selected", style: { "background-color": "#1a202c", "border-width": 3, "border-color": "#f6ad55" } },
        { selector: "edge", style: { width: "data(width)", "line-color": "data(color)", "target-arrow-color": "data(color)",
          "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#333",
          "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.8, opacity: 0.85 } },
      ],
      layout: { name: elements.length > 400 ? "circle" : "cose", animate: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 90, randomize: false },
    });
    this.cy.on("tap", "node", (evt) => this.app.openActor(evt.target.id()));
    this.cy.on("tap", "edge", (evt) => this.app.openActor(evt.target.data("source")));
  }

  renderList() {
    const g = this.graph;
    const names = new Map(g.nodes.map((n) => [n.key, n.name || n.key]));
    clear(this.list);
    for (const e of g.edges) {
      const text = `${names.get(e.source)} → ${names.get(e.target)}: ${typesLabel(e.types)}`;
      const li = el("li", { tabindex: "0", class: `edge fam-${e.family}`, dataset: { source: e.source, target: e.target, family: e.family },
        "aria-label": `${text} (${FAMILIES[e.family] ? FAMILIES[e.family].label : e.family}); Enter opens ${names.get(e.source)}` },
        el("span", { class: `dot fam-${e.family}` }), text);
      activate(li, () => this.app.openActor(e.source));
      this.list.append(li);
    }
    this.summary.textContent = `${fmt(g.edges.length)} of ${fmt(g.total_edges)} edges, ${fmt(new Set(g.edges.flatMap((e) => [e.source, e.target])).size)} actors` +
      (g.allegiance.length ? `; ${g.allegiance.length} allegiance edges` : "");
  }

  /** Edges as drawn, for tests and scripts: [{source, target, sourceName, targetName, family, label}]. */
  edgeData() {
    if (!this.cy) return [];
    return this.cy.edges().map((e) => ({ source: e.data("source"), target: e.data("target"), family: e.data("family"),
      label: e.data("label"), sourceName: e.source().data("label"), targetName: e.target().data("label") }));
  }
}

function typesLabel(types) {
  return Object.entries(types || {}).sort((a, b) => b[1] - a[1]).map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(", ");
}
