import { api, describe, token } from "../api";
import { field, h, notice } from "../dom";
import { t } from "../i18n";
import { navigate } from "../router";

interface TokenAnswer {
  access_token: string;
}

function authForm(title: string, inputs: HTMLInputElement[], submit: (values: Record<string, string>) => Promise<TokenAnswer>, other: HTMLElement, hints: Record<string, string> = {}): HTMLElement {
  const status = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card narrow" },
    ...inputs.map((input) => field(input.dataset.label!, input, hints[input.name])),
    h("button", { type: "submit", class: "primary" }, title),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(inputs.map((input) => [input.name, input.value]));
    status.replaceChildren();
    try {
      token.set((await submit(values)).access_token);
      navigate("");
    } catch (error) {
      status.replaceChildren(notice(describe(error), "error"));
    }
  });
  return h("section", {}, h("h1", {}, title), status, form, h("p", {}, other));
}

function input(name: string, label: string, type: string, autocomplete: string, extra: Record<string, string | number> = {}): HTMLInputElement {
  const element = h("input", { name, type, autocomplete, required: true, ...extra });
  element.dataset.label = label;
  return element;
}

export function signInPage(): HTMLElement {
  return authForm(
    t("signIn"),
    [input("email", t("email"), "email", "username"), input("password", t("password"), "password", "current-password")],
    (values) => api<TokenAnswer>("POST", "token", values),
    h("span", {}, `${t("noAccount")} `, h("a", { href: "signup" }, t("signUp"))),
  );
}

export function signUpPage(): HTMLElement {
  return authForm(
    t("signUp"),
    [
      input("company", t("company"), "text", "organization", { maxlength: 200 }),
      input("email", t("email"), "email", "username"),
      input("password", t("password"), "password", "new-password", { minlength: 12, maxlength: 128 }),
    ],
    (values) => api<TokenAnswer>("POST", "signup", values),
    h("span", {}, `${t("haveAccount")} `, h("a", { href: "signin" }, t("signIn"))),
    { password: t("passwordHint") },
  );
}
