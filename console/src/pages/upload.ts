import { api, describe, Problem } from "../api";
import { h, notice } from "../dom";
import { t, number, type Key } from "../i18n";
import { BATCH, batchCount, DATASETS, parseFile, type Dataset, type Item, type ParsedFile } from "../files";

interface Batch {
  dataset: Dataset;
  number: number;
  items: Item[];
  lines: number[];
}

const datasetName = (dataset: Dataset): string => t(`dataset_${dataset}` as Key);

/** The batches to send, customers first so that orders find their customers. */
function batchesOf(files: ParsedFile[]): Batch[] {
  return files.flatMap((file) =>
    Array.from({ length: batchCount(file) }, (_, index) => ({
      dataset: file.dataset,
      number: index + 1,
      items: file.items.slice(index * BATCH, (index + 1) * BATCH),
      lines: file.lines.slice(index * BATCH, (index + 1) * BATCH),
    })),
  );
}

/** Each refused field with the file line it came from ("linha 37: amount: ..."). */
function batchErrors(batch: Batch, error: unknown): HTMLElement {
  const items = error instanceof Problem && error.errors.length
    ? error.errors.map((e) => {
        const index = e.loc.find((part) => typeof part === "number") as number | undefined;
        const where = index === undefined ? "" : `${t("line")} ${batch.lines[index]}: `;
        const name = e.loc.filter((part) => typeof part === "string" && part !== "items").join(".");
        return h("li", {}, `${where}${name ? `${name}: ` : ""}${e.msg}`);
      })
    : [h("li", {}, describe(error))];
  return h("div", { class: "notice error", role: "alert" },
    h("p", {}, t("batchFailed", { batch: batch.number, dataset: datasetName(batch.dataset) })), h("ul", {}, ...items));
}

const signature = (batch: Batch): string => JSON.stringify([batch.dataset, batch.number, batch.items]);

export function uploadPage(): HTMLElement {
  const chosen = new Map<Dataset, File>();
  let batches: Batch[] = [];
  let next = 0;
  let uploadId: string | null = null;
  // What this upload has accepted, batch by batch: after a refused batch the files can be fixed
  // and checked again, and sending resumes at the first batch that is new or changed.
  let accepted: string[] = [];

  const report = h("div", { "aria-live": "polite" });
  const progress = h("progress", { max: 1, value: 0, "aria-label": t("progress") });
  const progressText = h("span", {});
  const sendButton = h("button", { type: "button", class: "primary", disabled: true }, t("send"));
  const commitButton = h("button", { type: "button", class: "primary", hidden: true }, t("commit"));

  const pickers = DATASETS.map((dataset) => {
    const input = h("input", { type: "file", id: `file-${dataset}`, accept: ".csv,.txt,.jsonl,.ndjson,.json" });
    const chosenName = h("span", { class: "file-name" });
    const zone = h("div", { class: "drop" }, h("label", { for: input.id }, datasetName(dataset)), input, chosenName);
    const pick = (file: File | undefined): void => {
      if (file) chosen.set(dataset, file);
      else chosen.delete(dataset);
      chosenName.textContent = file?.name ?? "";
      sendButton.disabled = true;
    };
    input.addEventListener("change", () => pick(input.files?.[0]));
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      pick(event.dataTransfer?.files[0]);
    });
    return zone;
  });

  async function check(): Promise<void> {
    report.replaceChildren();
    if (chosen.size === 0) return report.replaceChildren(notice(t("noFiles"), "error"));
    const files: ParsedFile[] = [];
    const lines: HTMLElement[] = [];
    let ok = true;
    for (const dataset of DATASETS) {
      const file = chosen.get(dataset);
      if (!file) continue;
      try {
        const parsed = parseFile(dataset, file.name, await file.text());
        const problems = [
          parsed.missing.length ? `${t("missingColumns")}: ${parsed.missing.join(", ")}` : "",
          parsed.unknown.length ? `${t("unknownColumns")}: ${parsed.unknown.join(", ")}` : "",
        ].filter(Boolean);
        ok &&= problems.length === 0;
        files.push(parsed);
        lines.push(h("li", { class: problems.length ? "bad" : "good" },
          `${datasetName(dataset)} (${file.name}): ${number(parsed.items.length)} ${t("rows")}, ${batchCount(parsed)} ${t("batches")} — ${problems.join("; ") || t("columnsOk")}`));
      } catch (error) {
        ok = false;
        lines.push(h("li", { class: "bad" }, `${datasetName(dataset)} (${file.name}): ${t("parseError")} — ${describe(error)}`));
      }
    }
    report.replaceChildren(h("ul", { class: "checks" }, ...lines));
    batches = batchesOf(files);
    next = 0;
    while (next < batches.length && accepted[next] === signature(batches[next])) next += 1;
    accepted = accepted.slice(0, next);
    sendButton.textContent = next ? t("resume") : t("send");
    sendButton.disabled = !ok;
    commitButton.hidden = true;
    showProgress();
  }

  function showProgress(): void {
    progress.max = Math.max(batches.length, 1);
    progress.value = next;
    progressText.textContent = `${next}/${batches.length} ${t("batches")}`;
  }

  async function send(): Promise<void> {
    sendButton.disabled = true;
    report.querySelectorAll(".notice").forEach((element) => element.remove());
    try {
      uploadId ??= (await api<{ upload_id: string }>("POST", "uploads", {})).upload_id;
    } catch (error) {
      sendButton.disabled = false;
      return report.append(notice(describe(error), "error"));
    }
    while (next < batches.length) {
      const batch = batches[next];
      try {
        await api("POST", `uploads/${uploadId}/${batch.dataset}`, { batch: batch.number, items: batch.items });
      } catch (error) {
        // Resending a batch number is idempotent, so resuming starts again at the refused batch.
        report.append(batchErrors(batch, error));
        sendButton.textContent = t("resume");
        sendButton.disabled = false;
        return;
      }
      accepted[next] = signature(batch);
      next += 1;
      showProgress();
    }
    report.append(notice(t("sent")));
    commitButton.hidden = false;
    commitButton.focus();
  }

  async function commit(): Promise<void> {
    commitButton.disabled = true;
    try {
      const answer = await api<{ training_job_id: string | null }>("POST", `uploads/${uploadId}/commit`, { train: true });
      commitButton.hidden = true;
      report.append(h("p", { class: "notice", role: "status" }, `${t("committed")} ${answer.training_job_id ?? "—"} · `, h("a", { href: "jobs" }, t("seeJobs"))));
    } catch (error) {
      commitButton.disabled = false;
      report.append(notice(describe(error), "error"));
    }
  }

  sendButton.addEventListener("click", () => void send());
  commitButton.addEventListener("click", () => void commit());
  showProgress();
  return h(
    "section",
    {},
    h("h1", {}, t("upload")),
    h("p", {}, t("uploadIntro")),
    h("div", { class: "pickers" }, ...pickers),
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => void check() }, t("check")), sendButton, commitButton),
    h("div", { class: "progress" }, progress, progressText),
    report,
  );
}
