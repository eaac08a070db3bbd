/**
 * SVG to PNG for the command line's reports, through `@resvg/resvg-js` when it is installed
 * (it is optional: 4 MB of native code a library user may not want). Without it the reports
 * keep their SVG and say that PNG needs `npm install @resvg/resvg-js`.
 */

/** The PNG bytes of `svg` at twice its size, or null when @resvg/resvg-js is not installed. */
export async function svgToPng(svg: string): Promise<Uint8Array | null> {
  let mod: { Resvg: new (svg: string, options: object) => { render(): { asPng(): Uint8Array } } };
  try {
    mod = (await import("@resvg/resvg-js")) as unknown as typeof mod;
  } catch {
    return null;
  }
  return new mod.Resvg(svg, { background: "white", fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
}

/** The line to print when `svgToPng` gave null. */
export const PNG_UNAVAILABLE = "PNG plots need the optional package @resvg/resvg-js (npm install @resvg/resvg-js); the SVG is written";
