import "./style.css";
import { describe, token, whenUnauthorized } from "./api";
import { h, notice } from "./dom";
import { lang, setLang, t, type Key, type Lang } from "./i18n";
import { currentPath, isPublic, navigate, route, start, type Page } from "./router";
import { signInPage, signUpPage } from "./pages/auth";
import { overviewPage } from "./pages/overview";
import { uploadPage } from "./pages/upload";
import { jobsPage } from "./pages/jobs";
import { modelsPage, modelPage } from "./pages/models";
import { tryPage } from "./pages/try";
import { policyPage } from "./pages/policy";
import { decisionsPage } from "./pages/decisions";
import { keysPage } from "./pages/keys";
import { monitoringPage } from "./pages/monitoring";
import { webhooksPage } from "./pages/webhooks";

const NAV: [string, Key][] = [
  ["", "overview"],
  ["upload", "upload"],
  ["jobs", "jobs"],
  ["models", "models"],
  ["policy", "policy"],
  ["decisions", "decisions"],
  ["monitoring", "monitoring"],
  ["try", "try"],
  ["keys", "keys"],
  ["webhooks", "webhooks"],
];

route(/^signin$/, signInPage, true);
route(/^signup$/, signUpPage, true);
route(/^$/, overviewPage);
route(/^upload$/, uploadPage);
route(/^jobs$/, jobsPage);
route(/^models$/, modelsPage);
route(/^models\/(\d+)$/, modelPage);
route(/^policy$/, policyPage);
route(/^decisions$/, decisionsPage);
route(/^try$/, tryPage);
route(/^keys$/, keysPage);
route(/^monitoring$/, monitoringPage);
route(/^webhooks$/, webhooksPage);

let expired = false;
whenUnauthorized(() => {
  expired = true;
  navigate("signin", true);
});

function header(): HTMLElement {
  const select = h("select", { id: "lang", "aria-label": t("language") }) as HTMLSelectElement;
  for (const [value, label] of [["pt-BR", "Português"], ["en", "English"]]) {
    select.append(h("option", { value, selected: value === lang() }, label));
  }
  select.addEventListener("change", () => {
    setLang(select.value as Lang);
    renderCurrent();
  });
  const signedIn = token.get() !== null;
  const here = currentPath().split("/")[0];
  const nav = signedIn
    ? h(
        "nav",
        { "aria-label": t("nav") },
        h("ul", {}, ...NAV.map(([path, key]) => h("li", {}, h("a", { href: path || "./", "aria-current": here === path ? "page" : null }, t(key))))),
      )
    : null;
  const signOut = signedIn
    ? h("button", {
        type: "button",
        onclick: () => {
          token.clear();
          navigate("signin");
        },
      }, t("signOut"))
    : null;
  return h("div", { class: "bar" }, h("span", { class: "brand" }, "CreditGate"), nav, h("div", { class: "tools" }, select, signOut));
}

let renderCurrent: () => void = () => undefined;
let generation = 0;

start((found, params) => {
  renderCurrent = () => void renderPage(found?.page, params);
  renderCurrent();
});

async function renderPage(page: Page | undefined, params: string[]): Promise<void> {
  const mine = ++generation;
  const path = currentPath();
  if (!token.get() && !isPublic(path)) return navigate("signin", true);
  if (token.get() && isPublic(path)) return navigate("", true);
  document.documentElement.lang = lang();
  document.querySelector(".skip")!.textContent = t("skip");
  document.getElementById("top")!.replaceChildren(header());
  const main = document.getElementById("main")!;
  main.replaceChildren(h("p", { role: "status" }, t("loading")));
  let content: HTMLElement;
  try {
    content = page ? await page(params) : h("h1", {}, "404");
  } catch (error) {
    content = h("section", {}, h("h1", {}, t("error")), notice(describe(error), "error"));
  }
  if (mine !== generation) return; // a later navigation (a 401's to sign-in, say) has taken over
  if (expired && path === "signin") {
    content.prepend(h("p", { class: "notice error", role: "alert" }, t("expired")));
    expired = false;
  }
  main.replaceChildren(content);
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · CreditGate` : "CreditGate";
}
