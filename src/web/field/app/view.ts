/**
 * The whole view layer: `h(tag, props, ...children)` builds DOM nodes, `mount` replaces a
 * screen. Screens are functions of the app's state that return a node; events re-render.
 */
type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, unknown> | null;

export function h(tag: string, props: Props = null, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    else if (name === "value") (element as HTMLInputElement).value = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function mount(root: HTMLElement, node: Node): void {
  root.replaceChildren(node);
  const first = root.querySelector<HTMLElement>("[autofocus]");
  first?.focus();
}

/** A labelled input, its label above it (large touch targets, readable in sunlight). */
export function field(label: string, input: HTMLElement): HTMLElement {
  return h("label", { class: "field" }, h("span", null, label), input);
}

/** The value of a named input inside `form`. */
export function valueOf(form: HTMLElement, name: string): string {
  return (form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`)?.value ?? "").trim();
}
