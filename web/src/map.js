// The map: Natural Earth country shapes (world-atlas, served by marsad) under event markers,
// coloured by PLOVER family, sized by fatalities, grouped by a grid clusterer when dense.
import L from "leaflet";
import { feature } from "topojson-client";
import { el, familyOf, FAMILIES, name, fmt } from "./util.js";

const CELL = 56; // px: events closer than this on screen share a cluster marker
const DEFAULT_BOUNDS = [[12, 25], [42, 63]]; // the Middle East

export class MapView {
  constructor(node, app, timings) {
    this.app = app;
    this.timings = timings;
    this.events = [];
    this.fitted = false;
    this.map = L.map(node, { zoomSnap: 0.5, minZoom: 2, maxZoom: 12, worldCopyJump: true, preferCanvas: false,
                             attributionControl: true, keyboard: true });
    this.map.attributionControl.setPrefix(false);
    this.map.attributionControl.addAttribution("Natural Earth (world-atlas)");
    this.map.fitBounds(DEFAULT_BOUNDS);
    this.markers = L.layerGroup().addTo(this.map);
    this.map.on("zoomend moveend", () => this.draw());
    this.ready = fetch("/static/countries.json").then((r) => r.json()).then((topo) => {
      const countries = feature(topo, topo.objects.countries);
      L.geoJSON(countries, {
        renderer: L.canvas({ padding: 0.5 }),
        interactive: false,
        style: { color: "#9a9486", weight: 0.7, fillColor: "#f3efe4", fillOpacity: 1 },
      }).addTo(this.map);
    }).catch((e) => console.error("basemap", e));
    this.legend();
  }

  legend() {
    const legend = L.control({ position: "bottomleft" });
    legend.onAdd = () => el("div", { class: "legend", role: "group", "aria-label": "Legend" },
      Object.entries(FAMILIES).map(([fam, f]) => el("div", {}, el("span", { class: `dot fam-${fam}` }), f.label)),
      el("div", { class: "legend-note" }, "size: fatalities · number: events in a cluster"));
    legend.addTo(this.map);
  }

  shown() { setTimeout(() => { this.map.invalidateSize(); this.draw(); }, 0); }

  bbox() {
    const b = this.map.getBounds();
    const c = (v, lo, hi) => Math.max(lo, Math.min(hi, v)).toFixed(4);
    return [c(b.getWest(), -180, 180), c(b.getSouth(), -90, 90), c(b.getEast(), -180, 180), c(b.getNorth(), -90, 90)].join(",");
  }

  setEvents(events) {
    this.events = events.filter((e) => e.location && Number.isFinite(e.location.lat) && Number.isFinite(e.location.lon));
    if (!this.fitted && this.events.length && !this.app.filters.bbox) {
      const lats = this.events.map((e) => e.location.lat).sort((a, b) => a - b);
      const lons = this.events.map((e) => e.location.lon).sort((a, b) => a - b);
      const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
      // the central 98 % of the events (one stray report far away does not zoom the map out)
      this.map.fitBounds([[q(lats, 0.01), q(lons, 0.01)], [q(lats, 0.99), q(lons, 0.99)]], { padding: [30, 30], maxZoom: 7 });
      this.fitted = true;
    }
    this.draw();
  }

  draw() {
    const map = this.map;
    if (!map.getSize().x) return; // hidden tab
    const zoom = map.getZoom();
    const view = map.getBounds().pad(0.2);
    const cells = new Map();
    for (const ev of this.events) {
      const ll = [ev.location.lat, ev.location.lon];
      if (!view.contains(ll)) continue;
      const p = map.project(ll, zoom);
      const key = `${Math.floor(p.x / CELL)}:${Math.floor(p.y / CELL)}`;
      let cell = cells.get(key);
      if (!cell) cells.set(key, (cell = []));
      cell.push(ev);
    }
    this.markers.clearLayers();
    for (const group of cells.values()) {
      this.markers.addLayer(group.length === 1 ? this.eventMarker(group[0]) : this.clusterMarker(group));
    }
    if (this.events.length && this.timings.firstMarkers === undefined && cells.size) {
      this.timings.firstMarkers = performance.now();
      performance.mark("marsad:first-markers");
    }
  }

  eventMarker(ev) {
    const fam = familyOf(ev.event_type);
    const size = Math.round(12 + 5 * Math.log2(1 + (ev.fatalities || 0)));
    const where = ev.location.name || "";
    const label = `${ev.event_type}: ${name(ev.actor)} → ${name(ev.recipient)}, ${where}, ${ev.date || "undated"}`;
    const marker = L.marker([ev.location.lat, ev.location.lon], {
      icon: L.divIcon({ className: `mk mk-event fam-${fam}`, iconSize: [size, size], html: "" }),
      keyboard: true, title: label, riseOnHover: true,
    });
    marker.on("add", () => this.tag(marker, ev.location.lat, ev.location.lon, 1, fam, label, ev.event_id, [ev.location.country]));
    marker.on("click", () => this.app.openEvent(ev.event_id));
    return marker;
  }

  clusterMarker(group) {
    const counts = {};
    let lat = 0, lon = 0;
    for (const ev of group) {
      const fam = familyOf(ev.event_type);
      counts[fam] = (counts[fam] || 0) + 1;
      lat += ev.location.lat;
      lon += ev.location.lon;
    }
    lat /= group.length;
    lon /= group.length;
    const fam = Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
    const size = Math.round(22 + 8 * Math.log10(group.length));
    const places = [...new Set(group.map((e) => e.location.name))];
    const label = `${fmt(group.length)} events near ${places.slice(0, 3).join(", ")}${places.length > 3 ? "…" : ""}`;
    const count = el("span", { "aria-hidden": "true" }, group.length > 999 ? `${Math.round(group.length / 1000)}k` : String(group.length));
    const marker = L.marker([lat, lon], {
      icon: L.divIcon({ className: `mk mk-cluster fam-${fam}`, iconSize: [size, size], html: count }),
      keyboard: true, title: label,
    });
    marker.on("add", () => this.tag(marker, lat, lon, group.length, fam, label, null, group.map((e) => e.location.country)));
    marker.on("click", () => {
      const bounds = L.latLngBounds(group.map((e) => [e.location.lat, e.location.lon]));
      const samePlace = bounds.getNorthEast().distanceTo(bounds.getSouthWest()) < 1000;
      if (samePlace || this.map.getZoom() >= this.map.getMaxZoom() - 1) this.app.showList(label, group);
      else this.map.fitBounds(bounds.pad(0.3), { maxZoom: this.map.getMaxZoom() });
    });
    return marker;
  }

  tag(marker, lat, lon, count, fam, label, eventId, countries) {
    const node = marker.getElement();
    if (!node) return;
    node.dataset.countries = [...new Set(countries.filter(Boolean))].sort().join(" ");
    node.dataset.lat = String(lat);
    node.dataset.lon = String(lon);
    node.dataset.count = String(count);
    node.dataset.family = fam;
    if (eventId) node.dataset.eventId = eventId;
    node.setAttribute("role", "button");
    node.setAttribute("aria-label", label);
  }

  /** Marker positions for tests and scripts: [{lat, lon, count, family, countries, eventId}]. */
  markerData() {
    return [...document.querySelectorAll(".mk[data-lat]")].map((n) => ({
      lat: +n.dataset.lat, lon: +n.dataset.lon, count: +n.dataset.count, family: n.dataset.family,
      countries: n.dataset.countries ? n.dataset.countries.split(" ") : [], eventId: n.dataset.eventId || null,
    }));
  }
}
