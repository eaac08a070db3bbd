/**
 * The settings form: one control per entry of a lab's schema — a slider with its value for
 * numbers (on a log scale where the setting asks), a select for choices, a checkbox for
 * flags, a text area for text. Changes are reported as checked values.
 */
import type { Setting, SettingsSchema, SettingValue } from "../lab/settings.js";
import { el } from "./view.js";

export function settingsForm(
  schema: SettingsSchema, values: Readonly<Record<string, SettingValue>>, onChange: (key: string, value: SettingValue) => void,
): HTMLElement {
  const form = el("div", { class: "settings" });
  for (const [key, s] of Object.entries(schema)) form.append(control(key, s, values[key], (v) => onChange(key, v)));
  return form;
}

function control(key: string, s: Setting, value: SettingValue, change: (v: SettingValue) => void): HTMLElement {
  const id = `setting-${key}`;
  const label = el("label", { for: id, title: s.help ?? "" }, s.label);
  switch (s.kind) {
    case "number": {
      const toSlider = (v: number) => (s.log ? Math.log10(v) : v);
      const fromSlider = (v: number) => (s.log ? Number((10 ** v).toPrecision(2)) : v);
      const range = el("input", {
        id, type: "range", name: key,
        min: String(toSlider(s.min)), max: String(toSlider(s.max)),
        step: s.log ? "any" : String(s.step), value: String(toSlider(value as number)),
      });
      const shown = el("output", { for: id }, String(value));
      range.addEventListener("input", () => {
        shown.textContent = String(fromSlider(Number(range.value)));
      });
      range.addEventListener("change", () => change(fromSlider(Number(range.value))));
      // The seed and other wide ranges are typed, not dragged.
      if (s.max - s.min > 10_000 && !s.log) {
        const box = el("input", { id, type: "number", name: key, min: String(s.min), max: String(s.max), step: String(s.step), value: String(value) });
        box.addEventListener("change", () => {
          const v = Number(box.value);
          if (Number.isFinite(v) && v >= s.min && v <= s.max) change(Number.isInteger(s.step) ? Math.round(v) : v);
          else box.value = String(value);
        });
        return el("div", { class: "control" }, label, box);
      }
      return el("div", { class: "control" }, label, range, shown);
    }
    case "choice": {
      const select = el("select", { id, name: key }, ...s.options.map((o) => el("option", o === value ? { value: o, selected: "" } : { value: o }, o)));
      select.addEventListener("change", () => change(select.value));
      return el("div", { class: "control" }, label, select);
    }
    case "flag": {
      const box = el("input", { id, type: "checkbox", name: key });
      box.checked = value === true;
      box.addEventListener("change", () => change(box.checked));
      return el("div", { class: "control flag" }, box, label);
    }
    case "text": {
      const area = el("textarea", { id, name: key, rows: "6", maxlength: String(s.maxLength), spellcheck: "false" });
      area.value = String(value);
      const apply = el("button", { type: "button" }, "use this text");
      apply.addEventListener("click", () => change(area.value));
      return el("div", { class: "control text" }, label, area, apply);
    }
    default: {
      const never: never = s;
      throw new Error(`unknown setting ${JSON.stringify(never)}`);
    }
  }
}
