/**
 * A view: the figures of one lab, drawn in the page from the snapshots its worker posts.
 * Views only draw and ask; every number they show was computed by the lab in the worker.
 */
import type { SnapshotBase } from "../lab/lab.js";
import type { SettingValue } from "../lab/settings.js";

export interface ViewContext {
  /** The lab's settings this run was built with. */
  readonly settings: Readonly<Record<string, SettingValue>>;
  /** Asks the lab (its `query`), answered between two training slices. */
  query<T>(request: unknown): Promise<T>;
}

export interface View<Snapshot extends SnapshotBase = SnapshotBase> {
  /** Builds the view's figures inside `root` (an empty element). */
  mount(root: HTMLElement, context: ViewContext): void;
  /** Draws a snapshot; called at most once per animation frame, with the newest one. */
  update(snapshot: Snapshot): void;
}

/** Makes an element with attributes and children, the only DOM helper views need. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attributes: Record<string, string> = {}, ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** A titled figure box with an optional caption; returns the box and its body. */
export function figure(parent: HTMLElement, title: string, caption = ""): HTMLElement {
  const body = el("div", { class: "figure-body" });
  parent.append(el("section", { class: "figure" }, el("h3", {}, title), body, ...(caption === "" ? [] : [el("p", { class: "caption" }, caption)])));
  return body;
}
