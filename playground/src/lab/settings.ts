/**
 * A lab's settings: a flat schema of numbers, choices, flags and text, each with a default.
 * The page draws a control per entry and keeps the values in the URL (`?view=echo&seed=3&…`),
 * so a view can be shared; the worker and Node build the lab from the same values.
 * Platform-neutral: no DOM here.
 */

/** A number, drawn as a slider (or a number box when `input` is "box"). */
export interface NumberSetting {
  kind: "number";
  label: string;
  default: number;
  min: number;
  max: number;
  /** Slider step; integers when it is an integer. */
  step: number;
  /** Show the slider on a log scale (learning rates). */
  log?: boolean;
  help?: string;
}

/** One of a few named options, drawn as a select. */
export interface ChoiceSetting {
  kind: "choice";
  label: string;
  default: string;
  options: readonly string[];
  help?: string;
}

/** On or off, drawn as a checkbox. */
export interface FlagSetting {
  kind: "flag";
  label: string;
  default: boolean;
  help?: string;
}

/** Free text (the character model's corpus), drawn as a text area; never put in the URL when long. */
export interface TextSetting {
  kind: "text";
  label: string;
  default: string;
  /** Longest text accepted, in UTF-16 units. */
  maxLength: number;
  help?: string;
}

export type Setting = NumberSetting | ChoiceSetting | FlagSetting | TextSetting;
export type SettingsSchema = Record<string, Setting>;
export type SettingValue = number | string | boolean;

/** The values of a schema: numbers for number settings, strings for choices and text, booleans for flags. */
export type SettingsOf<S extends SettingsSchema> = {
  [K in keyof S]: S[K] extends NumberSetting ? number : S[K] extends FlagSetting ? boolean : string;
};

/** Every lab has a seed: the same seed and settings give the same run, in the page and in Node. */
export const SEED_SETTING: NumberSetting = {
  kind: "number", label: "seed", default: 1, min: 0, max: 2 ** 31 - 1, step: 1,
  help: "every random draw (data, weights, sampling) comes from this seed",
};

/** The defaults of a schema. */
export function defaultSettings<S extends SettingsSchema>(schema: S): SettingsOf<S> {
  const out: Record<string, SettingValue> = {};
  for (const [key, s] of Object.entries(schema)) out[key] = s.default;
  return out as SettingsOf<S>;
}

/**
 * Checks one value against its setting, returning it in the setting's type: numbers within
 * [min, max] (integers where the step is), choices among the options, text within maxLength.
 * Throws a RangeError naming the setting and what it expected.
 */
export function checkSetting(key: string, s: Setting, value: unknown): SettingValue {
  switch (s.kind) {
    case "number": {
      const v = typeof value === "string" ? Number(value.trim() === "" ? NaN : value) : value;
      if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`setting ${key}: expected a number, got ${JSON.stringify(value)}`);
      if (v < s.min || v > s.max) throw new RangeError(`setting ${key}: expected a number in [${s.min}, ${s.max}], got ${v}`);
      if (Number.isInteger(s.step) && !Number.isInteger(v)) throw new RangeError(`setting ${key}: expected an integer, got ${v}`);
      return v;
    }
    case "choice":
      if (typeof value !== "string" || !s.options.includes(value)) {
        throw new RangeError(`setting ${key}: expected one of ${s.options.join(", ")}, got ${JSON.stringify(value)}`);
      }
      return value;
    case "flag":
      if (value === true || value === "1" || value === "true") return true;
      if (value === false || value === "0" || value === "false") return false;
      throw new RangeError(`setting ${key}: expected true or false, got ${JSON.stringify(value)}`);
    case "text":
      if (typeof value !== "string") throw new RangeError(`setting ${key}: expected text, got ${typeof value}`);
      if (value.length > s.maxLength) throw new RangeError(`setting ${key}: at most ${s.maxLength} characters, got ${value.length}`);
      return value;
    default: {
      const never: never = s;
      throw new Error(`unknown setting kind ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The settings given in `values` (URL parameters or an object), each checked, the others
 * at their defaults. Keys outside the schema are ignored (the URL also holds the view's
 * name); a value that fails its check is reported in `errors` and left at its default, so a
 * hand-edited URL still opens.
 */
export function readSettings<S extends SettingsSchema>(
  schema: S, values: Iterable<[string, unknown]>,
): { settings: SettingsOf<S>; errors: string[] } {
  const settings: Record<string, SettingValue> = defaultSettings(schema);
  const errors: string[] = [];
  for (const [key, value] of values) {
    const s = schema[key];
    if (s === undefined) continue;
    try {
      settings[key] = checkSetting(key, s, value);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { settings: settings as SettingsOf<S>, errors };
}

/** The settings that differ from their defaults, as URL parameters (text settings only when short). */
export function settingsToParams(schema: SettingsSchema, settings: Record<string, SettingValue>): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, s] of Object.entries(schema)) {
    const v = settings[key];
    if (v === undefined || v === s.default) continue;
    if (s.kind === "text" && String(v).length > 200) continue;
    out.push([key, typeof v === "boolean" ? (v ? "1" : "0") : String(v)]);
  }
  return out;
}
