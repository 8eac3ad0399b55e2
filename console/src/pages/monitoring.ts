import type { ChartConfiguration, Plugin } from "chart.js";
import { api, describe } from "../api";
import { chartFigure, COLORS } from "../charts";
import { field, h, notice, table, type Child } from "../dom";
import { date, number, percent, t, type Key } from "../i18n";
import { DECISIONS, decisionName, DECISION_COLORS, setDays } from "./decisions";
import type { ModelSummary } from "./models";

export const PSI_WARNING = 0.1;
export const PSI_DRIFT = 0.25;
/** Below this many outcomes a realized figure is shown, but marked as a small sample. */
const SMALL_SAMPLE = 30;

interface Figure {
  value: number | null;
  n: number;
}

const REALIZED = ["roc_auc", "ks", "invoice_precision", "hold_precision", "review_invoiced"] as const;

interface Bucket {
  start: string;
  count: number;
  decisions: Record<(typeof DECISIONS)[number], number>;
  realized: { outcomes: number; invoiced: number } & Record<(typeof REALIZED)[number], Figure>;
}

export interface Drift {
  feature: string;
  psi: number;
  status: "stable" | "warning" | "drift";
  n: number;
}

export interface VersionMonitoring {
  model_version: number;
  buckets: Bucket[];
  score_drift: Drift | null;
  feature_drift: Drift[];
}

interface Rule {
  min_new_labeled: number | null;
  max_model_age_days: number | null;
  on_drift: boolean;
  auto_activate: "if_better" | "always" | "never";
}

const AUTO_ACTIVATE = ["if_better", "always", "never"] as const;
const STATUS_COLORS: Record<Drift["status"], string> = { stable: COLORS.neutral, warning: "#8a5a00", drift: COLORS.refused };

export const monitoring = (params: URLSearchParams): Promise<{ bucket: string; versions: VersionMonitoring[] }> =>
  api("GET", `monitoring?${params}`);

/** Every drift of a version, the score's first, then the features highest first. */
export const drifts = (version: VersionMonitoring): Drift[] => [...(version.score_drift ? [version.score_drift] : []), ...version.feature_drift];

export const featureName = (drift: Drift): string => (drift.feature === "score" ? t("score") : drift.feature);

const bucketLabel = (bucket: Bucket): string => date(`${bucket.start}T12:00:00Z`);

function mixChart(version: VersionMonitoring): HTMLElement {
  const { buckets } = version;
  return chartFigure(`chart-mix-v${version.model_version}`, t("decisionMix"), {
    type: "bar",
    data: {
      labels: buckets.map(bucketLabel),
      datasets: DECISIONS.map((d) => ({ label: decisionName(d), data: buckets.map((b) => b.decisions[d]), backgroundColor: DECISION_COLORS[d] })),
    },
    options: { responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: t("orders") } } } },
  }, buckets.map((b) => `${b.start}: ${b.count}`).join("; "));
}

/** Dashed vertical lines at the warning and drift marks of a horizontal PSI bar chart. */
const psiMarks: Plugin<"bar"> = {
  id: "psiMarks",
  afterDatasetsDraw(chart) {
    const { ctx, chartArea, scales } = chart;
    for (const [mark, color] of [[PSI_WARNING, STATUS_COLORS.warning], [PSI_DRIFT, STATUS_COLORS.drift]] as const) {
      const x = scales.x.getPixelForValue(mark);
      ctx.save();
      ctx.strokeStyle = color;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x, chartArea.top);
      ctx.lineTo(x, chartArea.bottom);
      ctx.stroke();
      ctx.restore();
    }
  },
};

function psiChart(version: VersionMonitoring, shown: Drift[]): HTMLElement {
  const top = Math.max(PSI_DRIFT * 1.2, ...shown.map((d) => d.psi));
  const config: ChartConfiguration<"bar"> = {
    type: "bar",
    data: {
      labels: shown.map(featureName),
      datasets: [{ label: "PSI", data: shown.map((d) => d.psi), backgroundColor: shown.map((d) => STATUS_COLORS[d.status]) }],
    },
    options: {
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { min: 0, max: top, title: { display: true, text: t("psiAxis") } }, y: { ticks: { autoSkip: false, font: { size: 11 } } } },
    },
    plugins: [psiMarks],
  };
  return chartFigure(`chart-psi-v${version.model_version}`, t("psiChart"), config as ChartConfiguration,
    shown.map((d) => `${featureName(d)} ${number(d.psi, 3)}`).join(", "), true);
}

/** A realized figure with the outcomes it rests on; a small sample says so. */
function figure(value: Figure): Child {
  if (!value.n) return "—";
  const small = value.n < SMALL_SAMPLE;
  return h("span", { class: small ? "small-sample" : null, "data-n": value.n },
    `${percent(value.value)} (n = ${number(value.n)})`, small ? h("em", {}, ` ${t("smallSample")}`) : null);
}

function realizedTable(version: VersionMonitoring): HTMLElement {
  return table(
    [t("period"), t("decisions"), t("outcomes"), ...REALIZED.map((name) => t(`realized_${name}` as Key))],
    version.buckets.map((b) => [bucketLabel(b), number(b.count), number(b.realized.outcomes), ...REALIZED.map((name) => figure(b.realized[name]))]),
    t("realized"),
  );
}

function driftTable(shown: Drift[]): HTMLElement {
  return table(
    [t("feature"), "PSI", t("status"), t("scored")],
    shown.map((d) => [featureName(d), number(d.psi, 3), h("span", { class: `psi ${d.status}`, "data-psi-status": d.status }, t(`psi_${d.status}` as Key)), number(d.n)]),
    t("drift"),
  );
}

/** The PSI chart draws this many bars (the table lists every feature). */
const CHARTED = 16;

function versionSection(version: VersionMonitoring): HTMLElement {
  const all = drifts(version);
  const shown = all.slice(0, CHARTED);
  return h(
    "section",
    { class: "card", "aria-labelledby": `monitoring-v${version.model_version}` },
    h("h2", { id: `monitoring-v${version.model_version}` }, `${t("model")} v${version.model_version}`),
    h("div", { class: "charts" }, version.buckets.length ? mixChart(version) : null, shown.length ? psiChart(version, shown) : null),
    shown.length ? null : notice(t("noDrift")),
    realizedTable(version),
    all.length ? driftTable(all) : null,
  );
}

function filters(models: ModelSummary[]): HTMLFormElement {
  const versions = h("select", { name: "model_version" }, h("option", { value: "" }, t("allVersions")), ...models.map((m) => h("option", { value: m.version }, `v${m.version}`)));
  const bucket = h("select", { name: "bucket" }, ...(["day", "week"] as const).map((b) => h("option", { value: b }, t(`bucket_${b}` as Key))));
  return h(
    "form",
    { class: "card inline" },
    field(t("version"), versions),
    field(t("from"), h("input", { name: "from", type: "date" })),
    field(t("to"), h("input", { name: "to", type: "date" })),
    field(t("bucket"), bucket),
    h("button", { type: "submit", class: "primary" }, t("filter")),
  );
}

function query(form: HTMLFormElement): URLSearchParams {
  const params = new URLSearchParams();
  const data = new FormData(form);
  const version = String(data.get("model_version") ?? "");
  if (version) params.set("model_version", version);
  setDays(params, data);
  params.set("bucket", String(data.get("bucket") ?? "day"));
  return params;
}

const optionalCount = (input: HTMLInputElement): number | null => (input.value.trim() ? Number(input.value) : null);

function retrainingForm(rule: Rule): HTMLElement {
  const minLabeled = h("input", { name: "min_new_labeled", type: "number", min: 1, step: 1, value: rule.min_new_labeled ?? "" });
  const maxAge = h("input", { name: "max_model_age_days", type: "number", min: 1, max: 36500, step: 1, value: rule.max_model_age_days ?? "" });
  const onDrift = h("input", { name: "on_drift", type: "checkbox", id: "on-drift", checked: rule.on_drift });
  const autoActivate = h("select", { name: "auto_activate" }, ...AUTO_ACTIVATE.map((a) => h("option", { value: a, selected: rule.auto_activate === a }, t(`auto_${a}` as Key))));
  const status = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", id: "retraining" },
    h("h2", {}, t("retraining")),
    h("p", {}, t("retrainingIntro")),
    h("div", { class: "inline" },
      field(t("minNewLabeled"), minLabeled, t("optional")),
      field(t("maxModelAge"), maxAge, t("optional")),
      field(t("autoActivate"), autoActivate)),
    h("p", {}, h("label", { class: "choice" }, onDrift, t("onDrift"))),
    h("button", { type: "submit", class: "primary" }, t("saveRule")),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("PUT", "retraining", {
        min_new_labeled: optionalCount(minLabeled),
        max_model_age_days: optionalCount(maxAge),
        on_drift: onDrift.checked,
        auto_activate: autoActivate.value,
      });
      status.replaceChildren(notice(t("ruleSaved")));
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    }
  });
  return form;
}

function trainNow(): HTMLElement {
  const status = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "primary" }, t("trainNow"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", "training-jobs", {});
      status.replaceChildren(h("p", { class: "notice", role: "status" }, `${t("trainingQueued")} `, h("a", { href: "jobs" }, t("seeJobs"))));
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    } finally {
      button.disabled = false;
    }
  });
  return h("div", { class: "card" }, h("p", {}, t("trainNowIntro")), button, status);
}

export async function monitoringPage(): Promise<HTMLElement> {
  const [models, rule] = await Promise.all([api<{ items: ModelSummary[] }>("GET", "models"), api<Rule>("GET", "retraining")]);
  const form = filters(models.items);
  const results = h("div", { "aria-live": "polite", id: "monitoring-results" });

  async function load(): Promise<void> {
    try {
      const answer = await monitoring(query(form));
      results.replaceChildren(...(answer.versions.length ? answer.versions.map(versionSection) : [notice(t("noMonitoring"))]));
    } catch (error) {
      results.replaceChildren(notice(describe(error), "error"));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  await load();
  return h("section", {}, h("h1", {}, t("monitoring")), h("p", {}, t("monitoringIntro")), form, results, retrainingForm(rule), trainNow());
}
