import { api } from "../api";
import { h, notice } from "../dom";
import { dateTime, number, percent, t, type Key } from "../i18n";
import { jobStatus, type Job } from "./jobs";
import type { ModelSummary, Report } from "./models";
import { drifts, featureName, monitoring, PSI_WARNING } from "./monitoring";

interface Upload {
  upload_id: string;
  status: string;
  created_at: string;
  datasets: Record<string, { items: number }>;
}

/** The days the overview's drift alerts look back on, and the scored orders a PSI needs to count
 * (as for the retraining rule's drift: on a handful of orders any mix looks like drift). */
const ALERT_DAYS = 7;
const ALERT_MIN_ORDERS = 100;
/** Features named in an alert; the rest are counted. */
const ALERT_NAMED = 3;

/** Alerts: the active model's score or features drifting over the last days, a failed last job. */
async function alerts(active: ModelSummary | undefined, job: Job | undefined): Promise<HTMLElement | null> {
  const found: HTMLElement[] = [];
  if (job?.status === "failed") {
    found.push(h("li", { class: "alert drift" }, h("a", { href: "jobs" }, t("alertJobFailed", { when: dateTime(job.finished_at ?? job.created_at) })), job.error ? ` — ${job.error}` : ""));
  }
  if (active) {
    const from = new Date(Date.now() - ALERT_DAYS * 86_400_000).toISOString().slice(0, 10);
    const answer = await monitoring(new URLSearchParams({ model_version: String(active.version), from: `${from}T00:00:00Z` }));
    const shifted = answer.versions.flatMap(drifts).filter((d) => d.psi >= PSI_WARNING && d.n >= ALERT_MIN_ORDERS).sort((a, b) => b.psi - a.psi);
    for (const status of ["drift", "warning"] as const) {
      const these = shifted.filter((d) => d.status === status);
      if (!these.length) continue;
      const named = these.slice(0, ALERT_NAMED).map((d) => `${featureName(d)} (${number(d.psi, 2)})`).join(", ");
      const more = these.length > ALERT_NAMED ? ` ${t("andMore", { count: these.length - ALERT_NAMED })}` : "";
      found.push(h("li", { class: `alert ${status}`, "data-psi-status": status },
        h("a", { href: "monitoring" }, t(status === "drift" ? "alertDrift" : "alertWarning", { version: active.version, features: named + more }))));
    }
  }
  return found.length ? h("section", { "aria-labelledby": "alerts" }, h("h2", { id: "alerts" }, t("alerts")), h("ul", { class: "alerts" }, ...found)) : null;
}

export async function overviewPage(): Promise<HTMLElement> {
  const [models, jobs, uploads] = await Promise.all([
    api<{ items: ModelSummary[] }>("GET", "models"),
    api<{ items: Job[] }>("GET", "training-jobs?limit=1"),
    api<{ items: Upload[] }>("GET", "uploads?limit=1"),
  ]);
  const active = models.items.find((m) => m.active);
  const job = jobs.items[0];
  const upload = uploads.items[0];
  const [report, alerting] = await Promise.all([active ? api<Report>("GET", `models/${active.version}/report`) : null, alerts(active, job)]);
  const items: [string, Node | string][] = [
    [t("activeModel"), active ? h("a", { href: `models/${active.version}` }, `v${active.version} · ${active.algorithm}`) : t("none")],
    ["ROC AUC · KS", active && report ? `${percent(active.roc_auc)} · ${percent(report.ks.ks)}` : "—"],
    [t("automationRate"), report ? percent(report.decision_mix.automation_rate) : "—"],
    [t("lastJob"), job ? `${jobStatus(job)} · ${dateTime(job.created_at)}` : t("none")],
    [t("lastUpload"), upload ? `${t(`upload_${upload.status}` as Key)} · ${dateTime(upload.created_at)}` : t("none")],
  ];
  return h(
    "section",
    {},
    h("h1", {}, t("overview")),
    active ? null : notice(t("noModel")),
    alerting,
    h("dl", { class: "cards" }, ...items.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value)))),
  );
}
