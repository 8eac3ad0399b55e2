import { api, describe } from "../api";
import { confirmDialog, field, h, notice, shownOnce, table } from "../dom";
import { dateTime, t } from "../i18n";

interface ApiKey {
  id: string;
  name: string;
  created_at: string;
  revoked_at?: string | null;
}

export async function keysPage(): Promise<HTMLElement> {
  const status = h("div", { "aria-live": "polite" });
  const list = h("div", {});

  async function refresh(): Promise<void> {
    const keys = (await api<{ items: ApiKey[] }>("GET", "api-keys")).items;
    list.replaceChildren(
      keys.length
        ? table(
            [t("name"), t("created"), t("status"), t("actions")],
            keys.map((key) => [
              key.name,
              dateTime(key.created_at),
              key.revoked_at ? `${t("revoked")} ${dateTime(key.revoked_at)}` : t("active"),
              key.revoked_at ? "" : h("button", { type: "button", "aria-label": `${t("revoke")}: ${key.name}`, onclick: () => void revoke(key) }, t("revoke")),
            ]),
            t("keys"),
          )
        : notice(t("noKeys")),
    );
  }

  async function revoke(key: ApiKey): Promise<void> {
    if (!(await confirmDialog(t("revokeQuestion", { name: key.name }), t("revoke"), t("cancel")))) return;
    try {
      await api("DELETE", `api-keys/${key.id}`);
      status.replaceChildren();
      await refresh();
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    }
  }

  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const form = h("form", { class: "card inline" }, field(t("keyName"), name), h("button", { type: "submit", class: "primary" }, t("createKey")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api<ApiKey & { key: string }>("POST", "api-keys", { name: name.value });
      status.replaceChildren(shownOnce(t("keyShownOnce"), t("newKey"), "new-key", created.key));
      name.value = "";
      await refresh();
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    }
  });
  await refresh();
  return h("section", {}, h("h1", {}, t("keys")), form, status, list);
}
