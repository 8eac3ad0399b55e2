import { api, describe } from "../api";
import { axes, chartFigure, COLORS, xy } from "../charts";
import { confirmDialog, field, h, notice, table } from "../dom";
import { dateTime, number, percent, t } from "../i18n";
import { navigate } from "../router";

export interface ModelSummary {
  version: number;
  algorithm: string;
  active: boolean;
  created_at: string;
  roc_auc: number | null;
}

interface ModelDetail extends ModelSummary {
  metrics: Record<string, number | null>;
  leaderboard: { name: string; family: string; validation_roc_auc: number; fit_seconds: number; winner: boolean }[];
  row_counts: Record<string, number>;
  data_from: string;
  data_to: string;
}

export interface Report {
  holdout_orders: number;
  roc: { fpr: number[]; tpr: number[] };
  pr: { recall: number[]; precision: number[] };
  ks: { threshold: (number | null)[]; invoiced_below: number[]; refused_below: number[]; ks: number; at: number | null };
  score_histogram: { edges: number[]; invoiced: number[]; refused: number[] };
  calibration: { mean_probability: number[]; invoiced_rate: number[]; orders: number[]; brier: number };
  tradeoff: Record<"invoice" | "hold", { cutoff: number[]; share: number[]; precision: number[] }>;
  headline: { automation_rate: number; precision: number };
  decision_mix: { automation_rate: number };
  feature_importance: { feature: string; description: string; mean_abs_impact: number }[];
}

export async function modelsPage(): Promise<HTMLElement> {
  const models = (await api<{ items: ModelSummary[] }>("GET", "models")).items;
  const body = models.length
    ? table(
        [t("version"), t("algorithm"), t("active"), t("created"), "ROC AUC"],
        models.map((m) => [h("a", { href: `models/${m.version}` }, `v${m.version}`), m.algorithm, m.active ? t("yes") : t("no"), dateTime(m.created_at), percent(m.roc_auc)]),
        t("models"),
      )
    : notice(t("noModels"));
  return h("section", {}, h("h1", {}, t("models")), body);
}

/** The holdout's headline figures, as (label, formatted value). */
function headline(detail: ModelDetail, report: Report): [string, string][] {
  const m = detail.metrics;
  return [
    ["ROC AUC", percent(m.roc_auc)],
    ["KS", percent(m.ks)],
    ["PR AUC", percent(m.pr_auc)],
    ["Brier", number(m.brier ?? 0, 3)],
    [t("precision"), percent(m.precision)],
    [t("recall"), percent(m.recall)],
    [t("automation"), percent(report.headline.automation_rate)],
  ];
}

function metricCards(detail: ModelDetail, report: Report): HTMLElement {
  return h("dl", { class: "cards" }, ...headline(detail, report).map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value))));
}

const load = (version: string | number): Promise<[ModelDetail, Report]> =>
  Promise.all([api<ModelDetail>("GET", `models/${version}`), api<Report>("GET", `models/${version}/report`)]);

/** Two versions side by side: their figures in one table and their ROC curves in one chart. */
function comparison(mine: [ModelDetail, Report], other: [ModelDetail, Report]): HTMLElement {
  const [a, b] = [headline(...mine), headline(...other)];
  const name = (detail: ModelDetail): string => `v${detail.version}`;
  return h(
    "div",
    { id: "comparison" },
    table(["", name(mine[0]), name(other[0])], a.map(([label, value], i) => [label, value, b[i][1]]), t("compare")),
    chartFigure("chart-compare-roc", `${t("chartRoc")}: ${name(mine[0])} × ${name(other[0])}`, {
      type: "line",
      data: {
        datasets: [
          { label: name(mine[0]), data: xy(mine[1].roc.fpr, mine[1].roc.tpr), borderColor: COLORS.neutral },
          { label: name(other[0]), data: xy(other[1].roc.fpr, other[1].roc.tpr), borderColor: COLORS.refused },
        ],
      },
      options: axes(t("falsePositiveRate"), t("truePositiveRate")),
    }, `${name(mine[0])} ${percent(mine[0].roc_auc)}, ${name(other[0])} ${percent(other[0].roc_auc)}`),
  );
}

function compareControl(mine: [ModelDetail, Report], versions: number[]): HTMLElement | null {
  if (!versions.length) return null;
  const holder = h("div", { "aria-live": "polite" });
  const select = h("select", { id: "compare-with" }, h("option", { value: "" }, "—"), ...versions.map((v) => h("option", { value: v }, `v${v}`)));
  select.addEventListener("change", async () => {
    holder.replaceChildren();
    if (!select.value) return;
    try {
      holder.replaceChildren(comparison(mine, await load(select.value)));
    } catch (error) {
      holder.replaceChildren(notice(describe(error), "error"));
    }
  });
  return h("div", { class: "card" }, field(t("compareWith"), select), holder);
}

function charts(report: Report, auc: number | null): HTMLElement[] {
  const { roc, pr, ks, score_histogram: histogram, calibration, feature_importance: importance } = report;
  const thresholds = ks.threshold.map((value) => value ?? 1);
  const centers = histogram.edges.slice(0, -1).map((low, i) => (low + histogram.edges[i + 1]) / 2);
  const top = importance.slice(0, 12);
  return [
    chartFigure("chart-roc", t("chartRoc"), {
      type: "line",
      data: { datasets: [{ label: "ROC", data: xy(roc.fpr, roc.tpr), borderColor: COLORS.neutral }, { label: t("chance"), data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: COLORS.grey, borderDash: [4, 4] }] },
      options: axes(t("falsePositiveRate"), t("truePositiveRate")),
    }, `AUC ${percent(auc)}`),
    chartFigure("chart-pr", t("chartPr"), {
      type: "line",
      data: { datasets: [{ label: t("precision"), data: xy(pr.recall, pr.precision), borderColor: COLORS.neutral }] },
      options: axes(t("recall"), t("precision")),
    }, ""),
    chartFigure("chart-ks", t("chartKs"), {
      type: "line",
      data: {
        datasets: [
          { label: t("invoiced"), data: xy(thresholds, ks.invoiced_below), borderColor: COLORS.invoiced },
          { label: t("refused"), data: xy(thresholds, ks.refused_below), borderColor: COLORS.refused },
        ],
      },
      options: axes(t("threshold"), t("share")),
    }, `KS ${percent(ks.ks)}`),
    chartFigure("chart-histogram", t("chartHistogram"), {
      type: "bar",
      data: {
        labels: centers.map((c) => percent(c, 0)),
        datasets: [
          { label: t("invoiced"), data: histogram.invoiced, backgroundColor: COLORS.invoiced },
          { label: t("refused"), data: histogram.refused, backgroundColor: COLORS.refused },
        ],
      },
      options: { responsive: true, maintainAspectRatio: false, scales: { x: { title: { display: true, text: t("probability") } }, y: { title: { display: true, text: t("orders") } } } },
    }, ""),
    chartFigure("chart-calibration", t("chartCalibration"), {
      type: "line",
      data: {
        datasets: [
          { label: t("observed"), data: xy(calibration.mean_probability, calibration.invoiced_rate), borderColor: COLORS.neutral, pointRadius: 3 },
          { label: t("perfect"), data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: COLORS.grey, borderDash: [4, 4] },
        ],
      },
      options: axes(t("predicted"), t("observed")),
    }, `Brier ${number(calibration.brier, 3)}`),
    chartFigure("chart-importance", t("chartImportance"), {
      type: "bar",
      data: { labels: top.map((f) => f.description || f.feature), datasets: [{ label: t("impact"), data: top.map((f) => f.mean_abs_impact), backgroundColor: COLORS.neutral }] },
      options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, scales: { x: { title: { display: true, text: t("impact") } } } },
    }, top.map((f) => f.feature).join(", "), true),
  ];
}

export async function modelPage([version]: string[]): Promise<HTMLElement> {
  const [[detail, report], models] = await Promise.all([load(version), api<{ items: ModelSummary[] }>("GET", "models")]);
  const status = h("div", { "aria-live": "polite" });
  const activate = detail.active
    ? h("p", { class: "badge" }, t("active"))
    : h("button", {
        type: "button",
        class: "primary",
        onclick: async () => {
          if (!(await confirmDialog(t("activateQuestion", { version }), t("confirm"), t("cancel")))) return;
          try {
            await api("POST", `models/${version}/activate`);
            navigate(`models/${version}`, true);
          } catch (error) {
            status.replaceChildren(notice(describe(error), "error"));
          }
        },
      }, t("activate"));
  const leaderboard = table(
    [t("algorithm"), "ROC AUC", t("runTime")],
    detail.leaderboard.map((c) => [`${c.name}${c.winner ? " ★" : ""}`, percent(c.validation_roc_auc), `${number(c.fit_seconds, 1)} s`]),
    t("leaderboard"),
  );
  return h(
    "section",
    {},
    h("h1", {}, `${t("model")} v${detail.version} · ${detail.algorithm}`),
    h("p", {}, `${dateTime(detail.data_from)} – ${dateTime(detail.data_to)} · ${t("holdout", { orders: number(report.holdout_orders) })}`),
    activate,
    status,
    metricCards(detail, report),
    h("div", { class: "charts" }, ...charts(report, detail.metrics.roc_auc)),
    leaderboard,
    compareControl([detail, report], models.items.map((m) => m.version).filter((v) => v !== detail.version)),
  );
}
