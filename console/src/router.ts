// Pages are paths below the console's base (<base href>, e.g. /api/console/): `models/3`.
// Links are plain <a href="models/3">; clicks on them are turned into history navigation.

export type Page = (params: string[]) => Promise<HTMLElement> | HTMLElement;
type Route = { pattern: RegExp; page: Page; public?: boolean };

const routes: Route[] = [];
let render: (route: Route | undefined, params: string[]) => void = () => undefined;

export function route(pattern: RegExp, page: Page, isPublic = false): void {
  routes.push({ pattern, page, public: isPublic });
}

export function basePath(): string {
  return new URL(document.baseURI).pathname;
}

/** The current page's path below the console's base, without slashes at either end. */
export function currentPath(): string {
  const path = location.pathname.startsWith(basePath()) ? location.pathname.slice(basePath().length) : "";
  return path.replace(/^\/+|\/+$/g, "");
}

export function navigate(path: string, replace = false): void {
  const url = new URL(path, document.baseURI).toString();
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  show();
}

export function show(): void {
  const path = currentPath();
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (match) return render(candidate, match.slice(1));
  }
  render(undefined, []);
}

export function isPublic(path: string): boolean {
  return routes.some((r) => r.public && r.pattern.test(path));
}

export function start(renderer: (route: { page: Page } | undefined, params: string[]) => void): void {
  render = renderer;
  window.addEventListener("popstate", show);
  document.addEventListener("click", (event) => {
    const link = (event.target as Element).closest?.("a");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const href = link.getAttribute("href") ?? "";
    if (href.startsWith("#")) {
      // With <base href>, "#main" would resolve to the base page: move the focus instead.
      event.preventDefault();
      document.getElementById(href.slice(1))?.focus();
      return;
    }
    const url = new URL(link.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(basePath()) || link.target) return;
    event.preventDefault();
    navigate(url.pathname.slice(basePath().length));
  });
  show();
}
