import { api, describe } from "../api";
import { chartFigure, COLORS } from "../charts";
import { field, h, notice } from "../dom";
import { money, number, percent, t } from "../i18n";
import { decisionName } from "./decisions";

interface Reason {
  feature: string;
  description: string;
  value: unknown;
  impact: number;
}

interface Prediction {
  order_id: string;
  invoice: boolean;
  decision?: string;
  probability: number;
  score: number;
  reasons: Reason[];
  unknown_customer: boolean;
}

/** "1.234,56" or "1234.56" -> 1234.56 (NaN when neither). */
export function parseAmount(text: string): number {
  const trimmed = text.trim();
  return Number(trimmed.includes(",") ? trimmed.replace(/\./g, "").replace(",", ".") : trimmed);
}

/** The reasons as a waterfall: from the probability the other factors give, each reason's step, to the answer. */
function waterfall(prediction: Prediction): HTMLElement {
  const start = prediction.probability - prediction.reasons.reduce((sum, r) => sum + r.impact, 0);
  let level = start;
  const steps = prediction.reasons.map((reason) => {
    const bar: [number, number] = [level, level + reason.impact];
    level += reason.impact;
    return bar;
  });
  const labels = [t("others"), ...prediction.reasons.map((r) => r.description || r.feature), t("final")];
  const bars: [number, number][] = [[0, start], ...steps, [0, prediction.probability]];
  const colors = [COLORS.grey, ...prediction.reasons.map((r) => (r.impact >= 0 ? COLORS.invoiced : COLORS.refused)), COLORS.neutral];
  return chartFigure("chart-waterfall", t("reasons"), {
    type: "bar",
    data: { labels, datasets: [{ label: t("probability"), data: bars, backgroundColor: colors }] },
    options: {
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: { min: 0, max: 1, title: { display: true, text: t("probability") } } },
    },
  }, prediction.reasons.map((r) => `${r.description}: ${r.impact >= 0 ? "+" : ""}${percent(r.impact)}`).join("; "));
}

function answer(prediction: Prediction): HTMLElement {
  // Answers before decision policies carried only `invoice`.
  const decision = prediction.decision ? decisionName(prediction.decision) : prediction.invoice ? t("decisionInvoice") : t("decisionReview");
  return h(
    "div",
    { class: "card", id: "decision" },
    h("h2", {}, `${t("decision")}: `, h("span", { class: prediction.invoice ? "good" : "bad", "data-invoice": String(prediction.invoice), "data-decision": prediction.decision ?? null }, decision)),
    h("p", {}, `${t("probability")}: ${percent(prediction.probability)} · ${t("score")}: ${number(prediction.score)}`),
    prediction.unknown_customer ? notice(t("unknownCustomer")) : null,
    h("ul", {}, ...prediction.reasons.map((r) => h("li", {}, `${r.description || r.feature}: ${r.impact >= 0 ? "+" : ""}${percent(r.impact)}`))),
    waterfall(prediction),
  );
}

export function tryPage(): HTMLElement {
  const now = new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const inputs = {
    order_id: h("input", { name: "order_id", required: true, value: `TESTE-${Date.now()}`, maxlength: 64 }),
    customer_id: h("input", { name: "customer_id", required: true, maxlength: 64 }),
    ordered_at: h("input", { name: "ordered_at", type: "datetime-local", required: true, value: now }),
    amount: h("input", { name: "amount", required: true, inputmode: "decimal", placeholder: "1.234,56" }),
    payment_term_days: h("input", { name: "payment_term_days", type: "number", min: 0, max: 3650, value: 30 }),
    channel: h("input", { name: "channel", maxlength: 64 }),
  };
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card" },
    field(t("orderId"), inputs.order_id),
    field(t("customerId"), inputs.customer_id),
    field(t("orderedAt"), inputs.ordered_at),
    field(t("amount"), inputs.amount, money(1234.56)),
    field(t("paymentTerm"), inputs.payment_term_days),
    field(t("channel"), inputs.channel),
    h("button", { type: "submit", class: "primary" }, t("decide")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const order: Record<string, unknown> = {
      order_id: inputs.order_id.value,
      customer_id: inputs.customer_id.value,
      ordered_at: new Date(inputs.ordered_at.value).toISOString(), // the browser's local time, made explicit
      amount: parseAmount(inputs.amount.value) || inputs.amount.value,
      payment_term_days: Number(inputs.payment_term_days.value || 0),
    };
    if (inputs.channel.value) order.channel = inputs.channel.value;
    result.replaceChildren(h("p", { role: "status" }, t("loading")));
    try {
      const answered = await api<{ predictions: Prediction[] }>("POST", "predictions", { orders: [order] });
      result.replaceChildren(answer(answered.predictions[0]));
    } catch (error) {
      result.replaceChildren(notice(describe(error), "error"));
    }
  });
  return h("section", {}, h("h1", {}, t("try")), h("p", {}, t("tryIntro")), form, result);
}
