// Chart.js, registered once, without animation (a report is read, not watched).
import { Chart, registerables, type ChartConfiguration } from "chart.js";
import { h } from "./dom";

Chart.register(...registerables);
Chart.defaults.animation = false;
Chart.defaults.font.family = "system-ui, sans-serif";
Chart.defaults.color = "#222";

export const COLORS = { invoiced: "#1b6e3a", refused: "#b3261e", neutral: "#3457a6", grey: "#6b6b6b" };

/** A titled figure whose canvas is described for screen readers; `data-points` says how much it draws. */
export function chartFigure(id: string, title: string, config: ChartConfiguration, description: string, wide = false): HTMLElement {
  const canvas = h("canvas", { id, role: "img", "aria-label": `${title}. ${description}` });
  const points = config.data.datasets.reduce((sum, dataset) => sum + dataset.data.length, 0);
  canvas.dataset.points = String(points);
  const figure = h("figure", { class: wide ? "chart wide" : "chart" }, h("figcaption", {}, title), h("div", { class: "canvas" }, canvas));
  // Drawn once the figure is in the document, so Chart.js can measure its box.
  queueMicrotask(() => requestAnimationFrame(() => new Chart(canvas, config)));
  return figure;
}

export const xy = (xs: number[], ys: number[]): { x: number; y: number }[] => xs.map((x, i) => ({ x, y: ys[i] }));

export function axes(x: string, y: string, max = 1): ChartConfiguration["options"] {
  return {
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    scales: {
      x: { type: "linear", min: 0, max, title: { display: true, text: x } },
      y: { type: "linear", min: 0, max: 1, title: { display: true, text: y } },
    },
    elements: { point: { radius: 0 } },
  } as ChartConfiguration["options"];
}
