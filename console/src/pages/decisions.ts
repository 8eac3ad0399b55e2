import { api, describe } from "../api";
import { chartFigure, COLORS } from "../charts";
import { field, h, notice, table, type Child } from "../dom";
import { date, dateTime, money, percent, t, type Key } from "../i18n";

export const DECISIONS = ["invoice", "review", "hold"] as const;
type Decision = (typeof DECISIONS)[number];

interface Record_ {
  order_id: string;
  customer_id: string | null;
  model_version: number;
  policy_version: number | null;
  decision: Decision;
  probability: number;
  amount: number | null;
  created_at: string;
}

interface Summary {
  items: { start: string; count: number; decisions: Record<Decision, number> }[];
}

export const decisionName = (decision: string): string => t(`decision_${decision}` as Key);
export const DECISION_COLORS: Record<Decision, string> = { invoice: COLORS.invoiced, review: COLORS.grey, hold: COLORS.refused };

function rows(records: Record_[]): Child[][] {
  return records.map((r) => [
    dateTime(r.created_at),
    r.order_id,
    r.customer_id ?? "—",
    h("span", { "data-decision": r.decision }, decisionName(r.decision)),
    percent(r.probability),
    r.amount === null ? "—" : money(r.amount),
    `v${r.model_version}`,
    r.policy_version === null ? "—" : `v${r.policy_version}`,
  ]);
}

function summaryChart(summary: Summary): HTMLElement {
  return chartFigure("chart-summary", t("summary"), {
    type: "bar",
    data: {
      labels: summary.items.map((b) => date(`${b.start}T12:00:00Z`)),
      datasets: DECISIONS.map((d) => ({ label: decisionName(d), data: summary.items.map((b) => b.decisions[d]), backgroundColor: DECISION_COLORS[d] })),
    },
    options: { responsive: true, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: t("orders") } } } },
  }, summary.items.map((b) => `${b.start}: ${b.count}`).join("; "), true);
}

/** The form's `from` and `to` dates as a window of whole days (UTC), `to` inclusive. */
export function setDays(params: URLSearchParams, data: FormData): void {
  const from = String(data.get("from") ?? "");
  const to = String(data.get("to") ?? "");
  if (from) params.set("from", `${from}T00:00:00Z`);
  if (to) params.set("to", new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString());
}

/** The query string of the filters that are filled; dates are whole days, `to` inclusive. */
function query(form: HTMLFormElement): URLSearchParams {
  const params = new URLSearchParams();
  const data = new FormData(form);
  for (const name of ["order_id", "customer_id", "decision"]) {
    const value = String(data.get(name) ?? "").trim();
    if (value) params.set(name, value);
  }
  setDays(params, data);
  return params;
}

export async function decisionsPage(): Promise<HTMLElement> {
  const decision = h("select", { name: "decision" }, h("option", { value: "" }, t("decisionAll")), ...DECISIONS.map((d) => h("option", { value: d }, decisionName(d))));
  const form = h(
    "form",
    { class: "card inline" },
    field(t("orderId"), h("input", { name: "order_id", maxlength: 64 })),
    field(t("customerId"), h("input", { name: "customer_id", maxlength: 64 })),
    field(t("decision"), decision),
    field(t("from"), h("input", { name: "from", type: "date" })),
    field(t("to"), h("input", { name: "to", type: "date" })),
    h("button", { type: "submit", class: "primary" }, t("filter")),
  );
  const results = h("div", { "aria-live": "polite" });
  const chart = h("div", {});

  async function load(): Promise<void> {
    const params = query(form);
    const range = new URLSearchParams([...params].filter(([name]) => name === "from" || name === "to"));
    try {
      const [first, summary] = await Promise.all([
        api<{ items: Record_[]; next_cursor: string | null }>("GET", `predictions?${params}&limit=50`),
        api<Summary>("GET", `predictions/summary?${range}`),
      ]);
      chart.replaceChildren(summary.items.length ? summaryChart(summary) : "");
      if (!first.items.length) return results.replaceChildren(notice(t("noDecisions")));
      const found = table([t("when"), t("orderId"), t("customerId"), t("decision"), t("probability"), t("amount"), t("model"), t("policyVersion")], rows(first.items), t("decisions"));
      const body = found.tBodies[0];
      let cursor = first.next_cursor;
      const more = h("button", { type: "button", hidden: !cursor }, t("older"));
      more.addEventListener("click", async () => {
        const page = await api<{ items: Record_[]; next_cursor: string | null }>("GET", `predictions?${params}&limit=50&cursor=${encodeURIComponent(cursor!)}`);
        for (const cells of rows(page.items)) body.append(h("tr", {}, ...cells.map((cell) => h("td", {}, cell))));
        cursor = page.next_cursor;
        more.hidden = !cursor;
      });
      results.replaceChildren(found, more);
    } catch (error) {
      results.replaceChildren(notice(describe(error), "error"));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  await load();
  return h("section", {}, h("h1", {}, t("decisions")), form, chart, results);
}
