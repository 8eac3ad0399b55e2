import { api } from "../api";
import { h, notice } from "../dom";
import { dateTime, percent, t, type Key } from "../i18n";
import { jobStatus, type Job } from "./jobs";
import type { ModelSummary, Report } from "./models";

interface Upload {
  upload_id: string;
  status: string;
  created_at: string;
  datasets: Record<string, { items: number }>;
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
  const report = active ? await api<Report>("GET", `models/${active.version}/report`) : null;
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
    h("dl", { class: "cards" }, ...items.map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value)))),
  );
}
