// Timeline: events per day by PLOVER family (stacked bars) and the escalation index (line);
// dragging a range (brush) filters every view to those dates.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, TooltipComponent, LegendComponent, BrushComponent, ToolboxComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { api, FAMILIES, el, clear } from "./util.js";

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, BrushComponent, ToolboxComponent, CanvasRenderer]);

export class Timeline {
  constructor(node, app) {
    this.node = node;
    this.app = app;
    this.chart = echarts.init(node, null, { renderer: "canvas" });
    this.dates = [];
    this.summary = document.getElementById("timeline-summary");
    this.chart.on("brushEnd", (params) => {
      const area = params.areas && params.areas[0];
      if (!area || !this.dates.length) return;
      const [a, b] = area.coordRange;
      const since = this.dates[Math.max(0, Math.min(a, b))];
      const until = this.dates[Math.min(this.dates.length - 1, Math.max(a, b))];
      this.chart.dispatchAction({ type: "brush", areas: [] });
      if (since && until) this.app.setFilters({ since, until });
    });
    new ResizeObserver(() => this.chart.resize()).observe(node);
    document.getElementById("timeline-clear").addEventListener("click", () => this.app.setFilters({ since: "", until: "" }));
  }

  async load(filters) {
    const [series, esc] = await Promise.all([
      api("/api/timeseries", { ...filters, by: "day" }),
      api("/api/escalation", filters),
    ]);
    let items = series.items;
    let by = "day";
    if (items.length > 400) { // years of data: weeks read better than a thousand thin bars
      items = (await api("/api/timeseries", { ...filters, by: "week" })).items;
      by = "week";
    }
    this.dates = items.map((d) => d.date);
    const index = new Map(esc.items.map((d) => [d.date, d.index]));
    const escalation = by === "day" ? this.dates.map((d) => index.get(d) ?? 0)
      : weekly(esc.items, this.dates);
    this.render(items, escalation, by);
    const total = items.reduce((n, d) => n + d.total, 0);
    clear(this.summary).append(
      `${total.toLocaleString("en")} events per ${by}, ${this.dates[0] || "—"} to ${this.dates[this.dates.length - 1] || "—"}; ` +
      `peak escalation index ${Math.max(0, ...escalation).toFixed(1)}.`);
  }

  render(items, escalation, by) {
    const series = Object.entries(FAMILIES).map(([key, f]) => ({
      name: f.label, type: "bar", stack: "events", data: items.map((d) => d[key]), itemStyle: { color: f.color },
      barCategoryGap: "10%", emphasis: { focus: "series" },
    }));
    series.push({ name: "Escalation index", type: "line", yAxisIndex: 1, data: escalation, showSymbol: false,
                  lineStyle: { color: "#333", width: 1.5 }, itemStyle: { color: "#333" } });
    this.chart.setOption({
      animation: false,
      grid: { left: 44, right: 48, top: 30, bottom: 24 },
      legend: { top: 0, textStyle: { fontSize: 11 }, itemWidth: 12, itemHeight: 8 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      toolbox: { right: 8, top: -4, feature: { brush: { type: ["lineX", "clear"], title: { lineX: "Select dates", clear: "Clear selection" } } } },
      brush: { xAxisIndex: 0, brushType: "lineX", brushMode: "single", throttleType: "debounce", throttleDelay: 300 },
      xAxis: { type: "category", data: this.dates, axisLabel: { fontSize: 10 } },
      yAxis: [
        { type: "value", name: `events / ${by}`, nameTextStyle: { fontSize: 10 }, minInterval: 1, axisLabel: { fontSize: 10 } },
        { type: "value", name: "escalation", nameTextStyle: { fontSize: 10 }, axisLabel: { fontSize: 10 }, splitLine: { show: false } },
      ],
      series,
    }, true);
    // drag on the chart selects dates at once (no need to pick the brush tool first)
    this.chart.dispatchAction({ type: "takeGlobalCursor", key: "brush", brushOption: { brushType: "lineX", brushMode: "single" } });
  }
}

function weekly(days, weeks) {
  const out = weeks.map(() => 0);
  let w = 0;
  for (const d of days) {
    while (w + 1 < weeks.length && weeks[w + 1] <= d.date) w++;
    if (weeks[w] <= d.date) out[w] += d.index;
  }
  return out;
}
