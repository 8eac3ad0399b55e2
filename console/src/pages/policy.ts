import { api, describe } from "../api";
import { chartFigure, COLORS } from "../charts";
import { field, h, notice } from "../dom";
import { percent, t, type Key } from "../i18n";
import type { ModelSummary, Report } from "./models";
import { Chart } from "chart.js";

const RULES = ["new_customer", "no_limit", "over_limit", "bankruptcy", "stale_bureau", "max_amount"] as const;
const ACTIONS = ["hold", "review", "off"] as const;

interface Policy {
  version: number;
  cutoffs: { invoice_at: number; hold_below: number } | null;
  targets: { invoice_precision: number; hold_precision: number } | null;
  rules: Record<string, string>;
  stale_bureau_days: number;
  max_amount: number | null;
  cutoffs_in_force: { invoice_at: number; hold_below: number } | null;
}

type Curve = Report["tradeoff"]["invoice"];

/** What a cutoff decides, read from the curve's points (sorted by cutoff): invoicing at `cutoff`
 * decides what the first point at or above it decides; holding below it, what the last point at
 * or below it decides; beyond the points, nothing. */
function at(curve: Curve, cutoff: number, side: "invoice" | "hold"): { share: number; precision: number | null } {
  const indexes = curve.cutoff.map((_, i) => i);
  const i = side === "invoice" ? indexes.find((j) => curve.cutoff[j] >= cutoff) : indexes.reverse().find((j) => curve.cutoff[j] <= cutoff);
  return i === undefined || !curve.share[i] ? { share: 0, precision: null } : { share: curve.share[i], precision: curve.precision[i] };
}

/** The cutoff deciding the most orders with at least `target` precision (as the service derives it). */
function cutoffFor(curve: Curve, target: number, side: "invoice" | "hold"): number {
  let chosen = side === "invoice" ? 1 : 0;
  let share = -1;
  curve.cutoff.forEach((cutoff, i) => {
    if (curve.precision[i] >= target && curve.share[i] > share) {
      share = curve.share[i];
      chosen = cutoff;
    }
  });
  return chosen;
}

const pct = (ratio: number): string => String(Math.round(ratio * 1000) / 10);

export async function policyPage(): Promise<HTMLElement> {
  const [policy, models] = await Promise.all([api<Policy>("GET", "policy"), api<{ items: ModelSummary[] }>("GET", "models")]);
  const active = models.items.find((m) => m.active);
  const report = active ? await api<Report>("GET", `models/${active.version}/report`) : null;

  const mode = policy.cutoffs ? "cutoffs" : "targets";
  const inputs = {
    invoice_at: h("input", { name: "invoice_at", type: "number", min: 0, max: 100, step: 0.1, required: true, value: pct(policy.cutoffs?.invoice_at ?? policy.cutoffs_in_force?.invoice_at ?? 0.8) }),
    hold_below: h("input", { name: "hold_below", type: "number", min: 0, max: 100, step: 0.1, required: true, value: pct(policy.cutoffs?.hold_below ?? policy.cutoffs_in_force?.hold_below ?? 0.2) }),
    invoice_precision: h("input", { name: "invoice_precision", type: "number", min: 0, max: 100, step: 0.1, required: true, value: pct(policy.targets?.invoice_precision ?? 0.93) }),
    hold_precision: h("input", { name: "hold_precision", type: "number", min: 0, max: 100, step: 0.1, required: true, value: pct(policy.targets?.hold_precision ?? 0.7) }),
    stale_bureau_days: h("input", { name: "stale_bureau_days", type: "number", min: 1, max: 3650, required: true, value: policy.stale_bureau_days }),
    max_amount: h("input", { name: "max_amount", inputmode: "decimal", value: policy.max_amount ?? "" }),
  };
  const radios = (["cutoffs", "targets"] as const).map((value) =>
    h("label", { class: "choice" }, h("input", { type: "radio", name: "mode", value, checked: value === mode }), t(value === "cutoffs" ? "modeCutoffs" : "modeTargets")),
  );
  const cutoffFields = h("div", { class: "inline" }, field(t("invoiceAt"), inputs.invoice_at), field(t("holdBelow"), inputs.hold_below));
  const targetFields = h("div", { class: "inline" }, field(t("invoicePrecision"), inputs.invoice_precision), field(t("holdPrecision"), inputs.hold_precision));
  const rules = RULES.map((rule) => {
    const select = h("select", { name: `rule_${rule}` }, ...ACTIONS.map((a) => h("option", { value: a, selected: policy.rules[rule] === a }, t(`action_${a}` as Key))));
    return field(t(`rule_${rule}` as Key), select);
  });
  const status = h("div", { "aria-live": "polite" });
  const version = h("p", { id: "policy-version" }, t("currentVersion", { version: policy.version }));
  const form = h(
    "form",
    { class: "card" },
    h("fieldset", {}, h("legend", {}, t("mode")), ...radios),
    cutoffFields,
    targetFields,
    h("fieldset", {}, h("legend", {}, t("rules")), h("div", { class: "rules" }, ...rules)),
    h("div", { class: "inline" }, field(t("staleDays"), inputs.stale_bureau_days), field(t("maxAmount"), inputs.max_amount)),
    h("button", { type: "submit", class: "primary" }, t("save")),
  );
  const chosenMode = (): "cutoffs" | "targets" => ((form.querySelector("input[name=mode]:checked") as HTMLInputElement).value as "cutoffs" | "targets");

  // The preview: the cutoffs the form gives, what they decide on the holdout, and the histogram coloured by zone.
  const figures = h("dl", { class: "cards", id: "policy-preview" });
  let histogram: HTMLElement | null = null;
  function cutoffs(): { invoiceAt: number; holdBelow: number } {
    if (chosenMode() === "cutoffs" || !report) return { invoiceAt: Number(inputs.invoice_at.value) / 100, holdBelow: Number(inputs.hold_below.value) / 100 };
    return {
      invoiceAt: cutoffFor(report.tradeoff.invoice, Number(inputs.invoice_precision.value) / 100, "invoice"),
      holdBelow: cutoffFor(report.tradeoff.hold, Number(inputs.hold_precision.value) / 100, "hold"),
    };
  }
  function refresh(): void {
    cutoffFields.hidden = chosenMode() !== "cutoffs";
    targetFields.hidden = chosenMode() !== "targets";
    if (!report) return;
    const { invoiceAt, holdBelow } = cutoffs();
    const invoiced = at(report.tradeoff.invoice, invoiceAt, "invoice");
    const held = at(report.tradeoff.hold, holdBelow, "hold");
    const cards: [string, string][] = [
      [t("invoiceAt"), percent(invoiceAt)],
      [t("holdBelow"), percent(holdBelow)],
      [t("automationRate"), percent(Math.min(1, invoiced.share + held.share))],
      [t("invoicedShare"), `${percent(invoiced.share)} · ${t("precision")} ${percent(invoiced.precision)}`],
      [t("heldShare"), `${percent(held.share)} · ${t("precision")} ${percent(held.precision)}`],
    ];
    figures.replaceChildren(...cards.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value))));
    const canvas = histogram?.querySelector("canvas");
    const chart = canvas ? Chart.getChart(canvas) : undefined;
    if (chart) {
      chart.data.datasets.forEach((dataset) => (dataset.backgroundColor = zoneColors(invoiceAt, holdBelow)));
      chart.update();
    }
  }
  function zoneColors(invoiceAt: number, holdBelow: number): string[] {
    const edges = report!.score_histogram.edges;
    return edges.slice(0, -1).map((low, i) => {
      const center = (low + edges[i + 1]) / 2;
      return center >= invoiceAt ? COLORS.invoiced : center < holdBelow ? COLORS.refused : COLORS.grey;
    });
  }
  if (report) {
    const { invoiceAt, holdBelow } = cutoffs();
    const { edges, invoiced, refused } = report.score_histogram;
    histogram = chartFigure("chart-policy", t("chartHistogram"), {
      type: "bar",
      data: {
        labels: edges.slice(0, -1).map((low, i) => percent((low + edges[i + 1]) / 2, 0)),
        datasets: [{ label: t("orders"), data: invoiced.map((n, i) => n + refused[i]), backgroundColor: zoneColors(invoiceAt, holdBelow) }],
      },
      options: { responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: t("probability") } }, y: { title: { display: true, text: t("orders") } } } },
    }, `${t("decision_hold")} < ${percent(holdBelow)} ≤ ${t("decision_review")} < ${percent(invoiceAt)} ≤ ${t("decision_invoice")}`, true);
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const share = (input: HTMLInputElement): number => Number(input.value) / 100;
    const body: Record<string, unknown> = {
      rules: Object.fromEntries(RULES.map((rule) => [rule, (form.elements.namedItem(`rule_${rule}`) as HTMLSelectElement).value])),
      stale_bureau_days: Number(inputs.stale_bureau_days.value),
    };
    if (inputs.max_amount.value.trim()) body.max_amount = Number(inputs.max_amount.value.replace(/\./g, "").replace(",", "."));
    if (chosenMode() === "cutoffs") body.cutoffs = { invoice_at: share(inputs.invoice_at), hold_below: share(inputs.hold_below) };
    else body.targets = { invoice_precision: share(inputs.invoice_precision), hold_precision: share(inputs.hold_precision) };
    try {
      const saved = await api<Policy>("PUT", "policy", body);
      version.textContent = t("currentVersion", { version: saved.version });
      status.replaceChildren(notice(t("saved", { version: saved.version })));
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    }
  });
  refresh();
  return h(
    "section",
    {},
    h("h1", {}, t("policy")),
    h("p", {}, t("policyIntro")),
    version,
    status,
    form,
    active ? h("h2", {}, t("preview", { version: active.version })) : notice(t("noActive")),
    figures,
    histogram,
  );
}
