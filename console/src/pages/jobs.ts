import { api } from "../api";
import { h, notice, table } from "../dom";
import { dateTime, number, seconds, t, type Key } from "../i18n";

export interface Job {
  job_id: string;
  status: "queued" | "running" | "succeeded" | "failed" | "skipped";
  reason?: string | null;
  model_version: number | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  stage_seconds?: Record<string, number> | null;
}

const REFRESH_MS = 2000;

export function jobStatus(job: Job): string {
  return t(job.status as Key);
}

/** A succeeded job's time per stage (load, features, selection, holdout, refit...), in its order. */
function stages(job: Job): string {
  const entries = Object.entries(job.stage_seconds ?? {});
  return entries.length ? entries.map(([stage, spent]) => `${stage} ${number(spent, 1)} s`).join(" · ") : "—";
}

function rows(jobs: Job[]): HTMLElement {
  if (!jobs.length) return notice(t("noJobs"));
  return table(
    [t("created"), t("status"), t("reason"), t("waitTime"), t("runTime"), t("stageTimes"), t("model")],
    jobs.map((job) => [
      dateTime(job.created_at),
      h("span", { class: `status ${job.status}`, "data-status": job.status }, jobStatus(job), job.error ? ` — ${job.error}` : ""),
      job.reason ?? "—",
      seconds(job.created_at, job.started_at),
      seconds(job.started_at, job.finished_at),
      stages(job),
      job.model_version ? h("a", { href: `models/${job.model_version}` }, `v${job.model_version}`) : "—",
    ]),
    t("jobs"),
  );
}

export async function jobsPage(): Promise<HTMLElement> {
  const load = async (): Promise<Job[]> => (await api<{ items: Job[] }>("GET", "training-jobs?limit=50")).items;
  const holder = h("div", { "aria-live": "polite" }, rows(await load()));
  const section = h("section", {}, h("h1", {}, t("jobs")), holder);
  // Refresh while a job is unfinished and this page is still shown.
  const timer = window.setInterval(async () => {
    if (!section.isConnected) return window.clearInterval(timer);
    if (!holder.querySelector('[data-status="queued"], [data-status="running"]')) return;
    holder.replaceChildren(rows(await load()));
  }, REFRESH_MS);
  return section;
}
