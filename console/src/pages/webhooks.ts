import { api, describe } from "../api";
import { confirmDialog, field, h, notice, shownOnce, table } from "../dom";
import { dateTime, number, t, type Key } from "../i18n";

const EVENTS = ["upload.committed", "training.succeeded", "training.failed", "model.activated", "drift.detected"] as const;

interface Webhook {
  id: string;
  url: string;
  events: string[];
  created_at: string;
}

interface Delivery {
  event_id: string;
  event_type: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  outcome: "delivered" | "retrying" | "failed";
  created_at: string;
}

const eventName = (event: string): string => t(`event_${event.replace(".", "_")}` as Key);

async function deliveries(webhook: Webhook): Promise<HTMLElement> {
  const log = (await api<{ items: Delivery[] }>("GET", `webhooks/${webhook.id}/deliveries?limit=50`)).items;
  const caption = t("deliveriesOf", { url: webhook.url });
  if (!log.length) return h("div", { id: "deliveries" }, h("h2", {}, caption), notice(t("noDeliveries")));
  return h(
    "div",
    { id: "deliveries" },
    table(
      [t("when"), t("event"), t("attempt"), t("httpStatus"), t("latency"), t("outcome"), t("error")],
      log.map((d) => [dateTime(d.created_at), eventName(d.event_type), d.attempt, d.status_code ?? "—", `${number(d.latency_ms)} ms`, t(`delivery_${d.outcome}` as Key), d.error ?? "—"]),
      caption,
    ),
  );
}

export async function webhooksPage(): Promise<HTMLElement> {
  const status = h("div", { "aria-live": "polite" });
  const list = h("div", {});
  const log = h("div", { "aria-live": "polite" });

  async function refresh(): Promise<void> {
    const hooks = (await api<{ items: Webhook[] }>("GET", "webhooks")).items;
    list.replaceChildren(
      hooks.length
        ? table(
            [t("url"), t("events"), t("created"), t("actions")],
            hooks.map((hook) => [
              hook.url,
              hook.events.map(eventName).join(", "),
              dateTime(hook.created_at),
              h("div", { class: "actions" },
                h("button", { type: "button", "aria-label": `${t("deliveries")}: ${hook.url}`, onclick: () => void show(hook) }, t("deliveries")),
                h("button", { type: "button", "aria-label": `${t("delete")}: ${hook.url}`, onclick: () => void remove(hook) }, t("delete"))),
            ]),
            t("webhooks"),
          )
        : notice(t("noWebhooks")),
    );
  }

  async function show(hook: Webhook): Promise<void> {
    try {
      log.replaceChildren(await deliveries(hook));
    } catch (error) {
      log.replaceChildren(notice(describe(error), "error"));
    }
  }

  async function remove(hook: Webhook): Promise<void> {
    if (!(await confirmDialog(t("deleteWebhookQuestion", { url: hook.url }), t("delete"), t("cancel")))) return;
    try {
      await api("DELETE", `webhooks/${hook.id}`);
      status.replaceChildren();
      log.replaceChildren();
      await refresh();
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    }
  }

  const url = h("input", { name: "url", type: "url", required: true, maxlength: 2048, size: 50, placeholder: "https://erp.exemplo.com.br/creditgate" });
  const boxes = EVENTS.map((event) => h("input", { type: "checkbox", name: "events", value: event, checked: true }));
  const form = h(
    "form",
    { class: "card" },
    field(t("url"), url),
    h("fieldset", {}, h("legend", {}, t("events")), ...boxes.map((box) => h("label", { class: "choice" }, box, eventName(box.value)))),
    h("button", { type: "submit", class: "primary" }, t("createWebhook")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const events = boxes.filter((box) => box.checked).map((box) => box.value);
      const created = await api<Webhook & { secret: string }>("POST", "webhooks", { url: url.value.trim(), events });
      status.replaceChildren(shownOnce(t("secretShownOnce"), t("newSecret"), "new-secret", created.secret));
      url.value = "";
      await refresh();
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    }
  });
  await refresh();
  return h("section", {}, h("h1", {}, t("webhooks")), h("p", {}, t("webhooksIntro")), form, status, list, log);
}
