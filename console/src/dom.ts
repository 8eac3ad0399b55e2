// Elements built from properties and children, never from HTML strings: data from the API is
// always text, so nothing it holds can become markup.

export type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A labelled input: the label names it for assistive technology and is clickable. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  const hintElement = hint ? h("small", { id: `${id}-hint` }, hint) : null;
  if (hintElement) input.setAttribute("aria-describedby", hintElement.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintElement);
}

export function table(headers: string[], rows: Child[][], caption?: string): HTMLTableElement {
  return h(
    "table",
    {},
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, ...headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))),
  );
}

/** A secret the API answers once (a key, a webhook's secret), in a read-only field to copy. */
export function shownOnce(message: string, label: string, id: string, value: string): HTMLElement {
  const shown = h("input", { id, readonly: true, value, size: 60 });
  return h("div", { class: "notice", role: "status" }, h("p", {}, message), field(label, shown));
}

/** A message announced to screen readers; `kind` error is an alert. */
export function notice(text: string, kind: "info" | "error" = "info"): HTMLElement {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** Asks a yes/no question in a modal <dialog> (focus is trapped and Escape cancels). */
export function confirmDialog(question: string, yes: string, no: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      "dialog",
      { "aria-labelledby": "confirm-question" },
      h("p", { id: "confirm-question" }, question),
      h(
        "form",
        { method: "dialog", class: "actions" },
        h("button", { value: "no", type: "submit" }, no),
        h("button", { value: "yes", type: "submit", class: "primary" }, yes),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}
