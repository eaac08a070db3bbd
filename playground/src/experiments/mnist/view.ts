/**
 * The MNIST-row-by-row view: one digit read row by row — its pixels, the hidden state after
 * each row and the head's guess after each row, with a cursor stepping through the rows —
 * a pad to draw a digit of one's own, the test confusion matrix, and the loss and accuracy
 * curves. Every number comes from the lab; the view keeps only which digit and row it shows.
 */
import { LineChart, PALETTE } from "../../ui/chart.js";
import { colour } from "../../ui/heatmap.js";
import { el, figure, type View, type ViewContext } from "../../ui/view.js";
import { CLASSES, COLS, ROWS } from "./card.js";
import { inkToDigit } from "./ink.js";
import type { MnistSnapshot, Reading } from "./lab.js";

/** CSS pixels per image row in the reading figure (the digit, hidden state and guess line up row by row). */
const ROW_PX = 8;
/** Space above the grids for their titles (two lines: a title, then the column labels). */
const TOP = 34;
/** The cursor's pace, and how long it rests on the last row before starting again. */
const TICK_MS = 160;
const REST_TICKS = 12;
/** The drawing pad: canvas pixels, CSS pixels and the pen's width in canvas pixels. */
const PAD = 280;
const PAD_CSS = 224;
const PEN = 22;
/** The bar chart of the guess at the cursor's row. */
const BARS_WIDTH = 176;
const CURSOR_COLOUR = "#ff7f0e";
const GOOD = "#2ca02c";
const BAD = "#d62728";

type RGB = [number, number, number];
type Wanted = { index: number } | { pixels: Float32Array };

/** White to deep blue for probabilities in [0, 1]. */
function probabilityColour(p: number): RGB {
  const t = Math.min(1, Math.max(0, p));
  return [Math.round(255 - 235 * t), Math.round(255 - 185 * t), Math.round(255 - 115 * t)];
}

/** A canvas of `w` × `h` CSS pixels drawn at the screen's resolution; returns it and its context (in CSS units). */
function crispCanvas(w: number, h: number, label: string): { canvas: HTMLCanvasElement; g: CanvasRenderingContext2D } {
  const canvas = el("canvas", { role: "img", "aria-label": label, class: "mnist-canvas" });
  const dpr = Math.max(1, Math.round(globalThis.devicePixelRatio ?? 1));
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const g = canvas.getContext("2d")!;
  g.scale(dpr, dpr);
  return { canvas, g };
}

/** Paints a rows × cols grid of values into the box (x, y, w, h) of `g`, one block per value. */
function paintGrid(
  g: CanvasRenderingContext2D, scratch: HTMLCanvasElement, values: ArrayLike<number>, rows: number, cols: number,
  colourOf: (v: number) => RGB, x: number, y: number, w: number, h: number,
): void {
  if (scratch.width !== cols || scratch.height !== rows) {
    scratch.width = cols;
    scratch.height = rows;
  }
  const sg = scratch.getContext("2d")!;
  const image = sg.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, gr, b] = colourOf(values[i]);
    image.data.set([r, gr, b, 255], 4 * i);
  }
  sg.putImageData(image, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(scratch, x, y, w, h);
}

/** Veils the rows after `cursor` (not read yet) and outlines the cursor's row, in a grid box at (x, TOP). */
function markRows(g: CanvasRenderingContext2D, cursor: number, x: number, w: number): void {
  g.fillStyle = "rgba(255, 255, 255, 0.75)";
  g.fillRect(x, TOP + (cursor + 1) * ROW_PX, w, (ROWS - cursor - 1) * ROW_PX);
  g.strokeStyle = CURSOR_COLOUR;
  g.lineWidth = 2;
  g.strokeRect(x - 1, TOP + cursor * ROW_PX - 1, w + 2, ROW_PX + 2);
}

function title(g: CanvasRenderingContext2D, text: string, x: number): void {
  g.fillStyle = "#333";
  g.font = "12px system-ui, sans-serif";
  g.textAlign = "left";
  g.textBaseline = "alphabetic";
  g.fillText(text, x, 12);
}

function argmax(values: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (values[from + c] > values[from + best]) best = c;
  return best;
}

const percent = (p: number) => `${Math.round(100 * p)}%`;

export function mnistView(): View<MnistSnapshot> {
  let context: ViewContext;
  let latest: MnistSnapshot | undefined;
  /** The reading the figures show, and the digit the view asked for. */
  let reading: Reading | undefined;
  let wanted: Wanted = { index: 0 };
  let cursor = 0, rest = 0, playing = true;
  let timer: ReturnType<typeof setInterval> | undefined;
  const scratch = document.createElement("canvas");

  // The reading figure's parts, made in mount.
  let digitPanel: ReturnType<typeof crispCanvas>, hiddenPanel: ReturnType<typeof crispCanvas>;
  let probsPanel: ReturnType<typeof crispCanvas>, barsPanel: ReturnType<typeof crispCanvas>;
  let hiddenWidth = 192;
  let digitSlider: HTMLInputElement, rowSlider: HTMLInputElement, playButton: HTMLButtonElement;
  let digitCaption: HTMLElement, rowCaption: HTMLElement, queryError: HTMLElement;
  let preview: ReturnType<typeof crispCanvas>;
  let confusionPanel: ReturnType<typeof crispCanvas>, confusionCaption: HTMLElement;
  let loss: LineChart, accuracy: LineChart;

  const matches = (r: Reading, w: Wanted) =>
    "index" in w ? r.source === "test" && r.index === w.index : r.source === "drawn" && r.pixels.every((v, i) => v === w.pixels[i]);

  /** Asks the lab to read a test digit or a drawing; it is read again in every snapshot from then on. */
  function show(w: Wanted): void {
    wanted = w;
    if ("index" in w) digitSlider.value = String(w.index);
    cursor = 0;
    rest = 0;
    const request = "index" in w ? { kind: "read", index: w.index } : { kind: "read", pixels: Array.from(w.pixels) };
    context.query<Reading>(request).then((r) => {
      queryError.textContent = "";
      if (matches(r, wanted)) {
        reading = r;
        drawReading();
      }
    }, (e: unknown) => {
      queryError.textContent = (e as Error).message;
    });
  }

  function drawReading(): void {
    const r = reading;
    if (r === undefined) return;
    const H = r.hidden.length / ROWS;
    const t = cursor;
    // The digit, rows numbered on the left.
    {
      const { g } = digitPanel;
      const left = 22, w = COLS * ROW_PX;
      g.clearRect(0, 0, left + w + 2, TOP + ROWS * ROW_PX + 2);
      title(g, r.source === "drawn" ? "pixels: your drawing" : `pixels: test digit ${r.index}`, left);
      paintGrid(g, scratch, r.pixels, ROWS, COLS, (v) => colour(v, "sequential"), left, TOP, w, ROWS * ROW_PX);
      markRows(g, t, left, w);
      g.fillStyle = "#777";
      g.font = "10px system-ui, sans-serif";
      g.textAlign = "right";
      g.textBaseline = "middle";
      for (const row of [1, 7, 14, 21, 28]) if (Math.abs(row - 1 - t) > 1) g.fillText(String(row), left - 4, TOP + (row - 0.5) * ROW_PX);
      g.fillStyle = CURSOR_COLOUR;
      g.font = "bold 10px system-ui, sans-serif";
      g.fillText(String(t + 1), left - 4, TOP + (t + 0.5) * ROW_PX);
    }
    // The hidden state after each row.
    {
      const { g } = hiddenPanel;
      g.clearRect(0, 0, hiddenWidth + 4, TOP + ROWS * ROW_PX + 2);
      title(g, `hidden state h_t (${H} units)`, 1);
      paintGrid(g, scratch, r.hidden, ROWS, H, (v) => colour(v, "diverging"), 1, TOP, hiddenWidth, ROWS * ROW_PX);
      markRows(g, t, 1, hiddenWidth);
    }
    // The guess after each row.
    {
      const { g } = probsPanel;
      const w = CLASSES * 16;
      g.clearRect(0, 0, w + 4, TOP + ROWS * ROW_PX + 2);
      g.fillStyle = "#333";
      g.font = "11px system-ui, sans-serif";
      g.textAlign = "center";
      g.textBaseline = "alphabetic";
      title(g, "guess after each row", 1);
      g.textAlign = "center";
      for (let c = 0; c < CLASSES; c++) {
        g.fillStyle = c === r.label ? GOOD : "#333";
        g.fillText(String(c), 1 + (c + 0.5) * 16, TOP - 7);
      }
      paintGrid(g, scratch, r.probs, ROWS, CLASSES, probabilityColour, 1, TOP, w, ROWS * ROW_PX);
      markRows(g, t, 1, w);
    }
    // The ten probabilities at the cursor's row.
    {
      const { g } = barsPanel;
      const bar = (ROWS * ROW_PX) / CLASSES, x0 = 18, full = 120;
      g.clearRect(0, 0, BARS_WIDTH, TOP + ROWS * ROW_PX + 2);
      title(g, `P(digit) after row ${t + 1}`, 0);
      const best = argmax(r.probs, t * CLASSES, CLASSES);
      g.font = "11px system-ui, sans-serif";
      g.textBaseline = "middle";
      for (let c = 0; c < CLASSES; c++) {
        const p = r.probs[t * CLASSES + c];
        const y = TOP + c * bar;
        g.fillStyle = "#f0f0f0";
        g.fillRect(x0, y + 2, full, bar - 4);
        g.fillStyle = c === best ? (r.label < 0 || c === r.label ? PALETTE[0] : BAD) : "#9ab";
        g.fillRect(x0, y + 2, full * p, bar - 4);
        g.textAlign = "right";
        g.fillStyle = c === r.label ? GOOD : "#333";
        g.fillText(String(c), x0 - 5, y + bar / 2);
        g.textAlign = "left";
        g.fillStyle = "#333";
        if (p >= 0.01) g.fillText(percent(p), x0 + full + 4, y + bar / 2);
      }
    }
    rowSlider.value = String(t + 1);
    const now = argmax(r.probs, t * CLASSES, CLASSES), last = argmax(r.probs, (ROWS - 1) * CLASSES, CLASSES);
    const final = `after all ${ROWS} rows: ${last} (${percent(r.probs[(ROWS - 1) * CLASSES + last])})` +
      (r.label < 0 ? "" : last === r.label ? " ✓" : ` ✗ (it is a ${r.label})`);
    rowCaption.textContent = `after row ${t + 1}: ${now} (${percent(r.probs[t * CLASSES + now])}) · ${final}`;
    digitCaption.textContent = r.source === "drawn"
      ? "your drawing, scaled to 28×28 and centred as MNIST's digits are"
      : `MNIST test image #${r.mnistIndex}, a ${r.label}`;
  }

  function drawConfusion(s: MnistSnapshot): void {
    const { g } = confusionPanel;
    const cell = 22, left = 26, top = 22;
    g.clearRect(0, 0, left + CLASSES * cell + 4, top + CLASSES * cell + 4);
    g.font = "11px system-ui, sans-serif";
    g.textAlign = "center";
    g.textBaseline = "middle";
    for (let a = 0; a < CLASSES; a++) {
      let total = 0;
      for (let b = 0; b < CLASSES; b++) total += s.confusion[a * CLASSES + b];
      g.fillStyle = "#333";
      g.fillText(String(a), left - 12, top + (a + 0.5) * cell);
      g.fillText(String(a), left + (a + 0.5) * cell, top - 10);
      for (let b = 0; b < CLASSES; b++) {
        const n = s.confusion[a * CLASSES + b];
        const rate = total > 0 ? n / total : 0;
        const [r, gr, bl] = a === b ? probabilityColour(rate) : colour(Math.min(1, 4 * rate), "diverging");
        g.fillStyle = `rgb(${r},${gr},${bl})`;
        g.fillRect(left + b * cell, top + a * cell, cell - 1, cell - 1);
        if (n > 0) {
          g.fillStyle = a === b && rate > 0.6 ? "#fff" : "#333";
          g.fillText(String(n), left + (b + 0.5) * cell, top + (a + 0.5) * cell);
        }
      }
    }
    const right = Array.from({ length: CLASSES }, (_, c) => s.confusion[c * CLASSES + c]).reduce((x, y) => x + y, 0);
    const evaluated = s.curves.steps.length > 0 ? s.curves.steps[s.curves.steps.length - 1] : 0;
    confusionCaption.textContent = `Rows: the true digit; columns: the net's answer after the last row. ${right} of ${s.testCount} right ` +
      `at update ${evaluated}; off the diagonal, red marks the common confusions.`;
  }

  function tick(): void {
    // A reset mounts a new view in the same element: this one's figures are gone, and so is its timer.
    if (!digitPanel.canvas.isConnected) {
      clearInterval(timer);
      return;
    }
    if (!playing || reading === undefined) return;
    if (cursor < ROWS - 1) cursor++;
    else if (++rest > REST_TICKS) {
      cursor = 0;
      rest = 0;
    }
    drawReading();
  }

  function drawingPad(parent: HTMLElement): void {
    const { canvas, g } = crispCanvas(PAD_CSS, PAD_CSS, "drawing pad: draw a digit");
    canvas.id = "mnist-pad";
    canvas.classList.add("mnist-pad");
    // The pen draws in canvas units (PAD × PAD) whatever the screen's resolution.
    g.setTransform(canvas.width / PAD, 0, 0, canvas.height / PAD, 0, 0);
    g.lineCap = "round";
    g.lineJoin = "round";
    g.lineWidth = PEN;
    g.strokeStyle = "#000";
    let drawing = false, drawn = false;
    const at = (e: PointerEvent): [number, number] => {
      const box = canvas.getBoundingClientRect();
      return [((e.clientX - box.left) / box.width) * PAD, ((e.clientY - box.top) / box.height) * PAD];
    };
    canvas.addEventListener("pointerdown", (e) => {
      drawing = true;
      canvas.setPointerCapture(e.pointerId);
      const [x, y] = at(e);
      g.beginPath();
      g.moveTo(x, y);
      g.lineTo(x + 0.01, y);
      g.stroke();
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = at(e);
      g.lineTo(x, y);
      g.stroke();
      drawn = true;
    });
    const finish = () => {
      if (!drawing) return;
      drawing = false;
      if (drawn) read();
    };
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    const read = () => {
      const image = g.getImageData(0, 0, canvas.width, canvas.height);
      const ink = new Float32Array(canvas.width * canvas.height);
      for (let i = 0; i < ink.length; i++) ink[i] = image.data[4 * i + 3] / 255;
      const digit = inkToDigit(ink, canvas.width, canvas.height);
      if (digit === null) return;
      const pg = preview.g;
      pg.clearRect(0, 0, 84, 84);
      paintGrid(pg, scratch, digit, ROWS, COLS, (v) => colour(v, "sequential"), 0, 0, 84, 84);
      playing = true;
      playButton.textContent = "Pause";
      show({ pixels: digit });
    };
    const clear = el("button", { type: "button", id: "mnist-clear" }, "Clear");
    clear.addEventListener("click", () => {
      g.save();
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.clearRect(0, 0, canvas.width, canvas.height);
      g.restore();
      preview.g.clearRect(0, 0, 84, 84);
      drawn = false;
    });
    const readButton = el("button", { type: "button", id: "mnist-read" }, "Read it");
    readButton.addEventListener("click", () => {
      if (drawn) read();
    });
    preview = crispCanvas(84, 84, "the drawing as the net reads it, 28×28");
    preview.canvas.classList.add("mnist-preview");
    parent.append(el("div", { class: "mnist-draw" }, canvas,
      el("div", { class: "mnist-draw-side" }, el("span", { class: "caption" }, "what the net reads:"), preview.canvas,
        el("div", { class: "mnist-buttons" }, readButton, clear))));
  }

  return {
    mount(parent, ctx) {
      context = ctx;
      parent.append(el("style", {}, CSS));
      const H = Number(ctx.settings.hidden);
      hiddenWidth = Math.max(160, Math.min(192, H * 3));

      // The reading figure.
      const body = figure(parent, "Reading a digit row by row",
        "Left to right: the pixels (rows below the cursor are not read yet); the hidden state after each row " +
        "(blue −1, white 0, red +1); the head's guess after each row, softmax(W·h_t + b), one column per digit; and " +
        "that guess at the cursor's row. The net is trained only on its guess after row 28.");
      body.parentElement!.classList.add("wide");
      const prev = el("button", { type: "button", title: "previous test digit" }, "◀");
      const next = el("button", { type: "button", title: "next test digit" }, "▶");
      const mistake = el("button", { type: "button", id: "mnist-mistake", title: "the next test digit the net got wrong at its last evaluation" }, "next mistake");
      digitSlider = el("input", { type: "range", min: "0", max: "499", step: "1", value: "0", id: "mnist-digit", "aria-label": "test digit" });
      digitCaption = el("span", { class: "caption", id: "mnist-digit-caption" });
      playButton = el("button", { type: "button", id: "mnist-play" }, "Pause");
      rowSlider = el("input", { type: "range", min: "1", max: String(ROWS), step: "1", value: "1", id: "mnist-row", "aria-label": "row" });
      rowCaption = el("span", { class: "mnist-verdict" });
      queryError = el("span", { class: "error" });
      const count = () => latest?.testCount ?? 500;
      prev.addEventListener("click", () => show({ index: (("index" in wanted ? wanted.index : 0) + count() - 1) % count() }));
      next.addEventListener("click", () => show({ index: (("index" in wanted ? wanted.index : -1) + 1) % count() }));
      mistake.addEventListener("click", () => {
        const list = latest?.mistakes ?? new Int32Array(0);
        if (list.length === 0) return;
        const from = "index" in wanted ? wanted.index : -1;
        show({ index: list.find((i) => i > from) ?? list[0] });
      });
      digitSlider.addEventListener("input", () => show({ index: Number(digitSlider.value) }));
      playButton.addEventListener("click", () => {
        playing = !playing;
        playButton.textContent = playing ? "Pause" : "Play";
      });
      rowSlider.addEventListener("input", () => {
        playing = false;
        playButton.textContent = "Play";
        cursor = Number(rowSlider.value) - 1;
        drawReading();
      });
      const height = TOP + ROWS * ROW_PX + 2;
      digitPanel = crispCanvas(22 + COLS * ROW_PX + 2, height, "the digit, row by row");
      hiddenPanel = crispCanvas(hiddenWidth + 4, height, "hidden state after each row");
      probsPanel = crispCanvas(CLASSES * 16 + 4, height, "class probabilities after each row");
      barsPanel = crispCanvas(BARS_WIDTH, height, "class probabilities at the cursor's row");
      body.append(
        el("div", { class: "mnist-controls" }, el("span", {}, "test digit"), prev, digitSlider, next, mistake, digitCaption),
        el("div", { class: "mnist-panels" }, digitPanel.canvas, hiddenPanel.canvas, probsPanel.canvas, barsPanel.canvas),
        el("div", { class: "mnist-controls" }, playButton, el("span", {}, "row"), rowSlider, rowCaption, queryError),
      );

      drawingPad(figure(parent, "Draw a digit",
        "Draw with the mouse or a finger; when you lift it the net reads your digit above, scaled into a 20×20 box " +
        "and centred in 28×28 as MNIST's digits are. Training goes on meanwhile: watch its answer change."));
      const confusionBody = figure(parent, "Confusion on the test digits");
      confusionPanel = crispCanvas(26 + CLASSES * 22 + 4, 22 + CLASSES * 22 + 4, "confusion matrix of the test digits");
      confusionCaption = el("p", { class: "caption" });
      confusionBody.append(confusionPanel.canvas, confusionCaption);

      loss = new LineChart(figure(parent, "Cross-entropy per update",
        "Solid: on the 500 held-out test digits; dashed: on the training batches since the previous point. Log scale."), {
        xLabel: "update", yLabel: "cross-entropy (nats)", logY: true,
        series: [
          { label: "train", color: PALETTE[0], dash: true, width: 1 },
          { label: "test", color: PALETTE[1], width: 2 },
        ],
      });
      accuracy = new LineChart(figure(parent, "Accuracy per update", "The share of digits whose guess after row 28 is right; chance is 10%."), {
        xLabel: "update", yLabel: "accuracy", yRange: [0, 1],
        series: [
          { label: "train", color: PALETTE[0], dash: true, width: 1 },
          { label: "test", color: PALETTE[1], width: 2 },
        ],
      });
      timer = setInterval(tick, TICK_MS);
    },
    update(s) {
      latest = s;
      digitSlider.max = String(s.testCount - 1);
      // The training series has no point at update 0 (NaN there): a gap, which uPlot wants as null.
      const [trainLoss, testLoss, trainAccuracy, testAccuracy] = s.curves.values.map((v) => v.map((x) => (Number.isNaN(x) ? null : x)));
      loss.setData(s.curves.steps, [trainLoss, testLoss]);
      accuracy.setData(s.curves.steps, [trainAccuracy, testAccuracy]);
      drawConfusion(s);
      if (matches(s.reading, wanted)) {
        reading = s.reading;
        drawReading();
      }
    },
  };
}

/** The view's own layout (the page's style sheet has the shared classes). */
const CSS = `
.mnist-panels { display: flex; flex-wrap: wrap; gap: 0.8rem; align-items: flex-start; margin: 0.5rem 0; }
.mnist-controls { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; font-size: 0.85rem; }
.mnist-controls input[type="range"] { width: 10rem; }
.mnist-controls button { padding: 0.15rem 0.6rem; }
.mnist-verdict { font-variant-numeric: tabular-nums; margin-left: 0.4rem; }
.mnist-draw { display: flex; gap: 1rem; align-items: flex-start; flex-wrap: wrap; }
.mnist-draw-side { display: flex; flex-direction: column; gap: 0.5rem; }
.mnist-buttons { display: flex; gap: 0.4rem; }
canvas.mnist-pad { border: 1px solid #bbb; border-radius: 0.3rem; background: #fff; cursor: crosshair; touch-action: none; }
canvas.mnist-preview { border: 1px solid #ddd; }
`;
