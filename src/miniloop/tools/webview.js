// The trace page's script: see webview.py for the data it draws.
(function () {
"use strict";
const D = JSON.parse(document.getElementById("trace-data").textContent);
const S = D.S;
const str = (i) => (i >= 0 ? S[i] : "");
const NAME_W = 230, RULER_H = 46, LANE_H = 24, LOOP_H = 36, BAR_H = 14;
const WAIT_COLORS = ["#f2b84b", "#7aa7e0", "#8fc79a", "#e57f7f", "#c99ae0", "#73c7c2",
                     "#9db0c9", "#b8b8b8", "#d6d6d6"];
const ARROW_COLORS = ["#2f6fd6", "#7d7d7d", "#8b4fc4", "#d08a12"];
const ARROW_NAMES = ["woke", "made", "scheduled a callback", "armed a timer"];
const ARROW_INTO = ["woken by", "made by", "scheduled by", "its timer armed by"];
const LOOP_NAMES = ["timer fired", "callback", "IO ready", "loop slept"];
const ENDINGS = [["✓", "#2e8b57", "finished"], ["✗", "#c0392b", "failed"],
                 ["⊘", "#d35400", "cancelled"]];
const STATE_NAMES = ["made, not started", "ready", "waiting", "done"];
const STATE_COLORS = ["#eeeeee", "#dde8f7", "#fbe3b8", "#e4f2e4"];
const STEP = 5, STRETCH = 10, LOOPM = 7;

const cols = D.cols, ncols = cols.turn.length, lanes = D.lanes;
const canvas = document.getElementById("timeline");
const ctx = canvas.getContext("2d");
const view = document.getElementById("view");
const namesBox = document.getElementById("names");
const search = document.getElementById("search");

// The turns a user can travel through, and the first column of each.
const turns = [], columnOfTurn = new Map();
for (let c = 0; c < ncols; c++) {
  if (!columnOfTurn.has(cols.turn[c])) { columnOfTurn.set(cols.turn[c], c); turns.push(cols.turn[c]); }
}
// Every step and loop mark by its event's seq: arrows and the ready queue name them so.
const bySeq = new Map();
lanes.forEach((lane, index) => { for (let i = 0; i < lane.s.length; i += STEP) bySeq.set(lane.s[i + 4], [index, i]); });
for (let m = 0; m < D.loop.length; m += LOOPM) bySeq.set(D.loop[m + 4], [-1, m]);
// The arrows, with both ends found: [from lane, column, time, slot, to lane, column,
// time, slot, kind, from seq, to seq] (lane -1 is the loop).
const ARROW = 11, A = [];
for (let a = 0; a < D.arrows.length; a += 3) {
  const from = end(D.arrows[a + 1]), to = end(D.arrows[a + 2]);
  if (from && to) A.push(...from, ...to, D.arrows[a], D.arrows[a + 1], D.arrows[a + 2]);
}
function end(seq) {
  const found = bySeq.get(seq);
  if (!found) return null;
  const [index, i] = found;
  if (index < 0) return [-1, D.loop[i], D.loop[i + 1], D.loop[i + 6]];
  return [index, lanes[index].s[i], lanes[index].s[i + 1], 0.5];
}
const related = lanes.map(() => new Set());  // lanes linked to each lane by an arrow
for (let a = 0; a < A.length; a += ARROW) {
  const from = A[a], to = A[a + 4];
  if (from >= 0 && to >= 0) { related[from].add(to); related[to].add(from); }
}
const laneNames = lanes.map((lane) => str(lane.n).toLowerCase());

const st = {
  mode: D.end > 0 ? "time" : "turns", u0: 0, scale: 1, scrollY: 0, width: 0, height: 0,
  lane: -1, item: null, turn: 0, query: "", shown: lanes.map((_, i) => i), drawn: null,
};

// --- where things are -----------------------------------------------------------------------
function extent() { return st.mode === "time" ? Math.max(D.end, 1e-6) : Math.max(ncols, 1); }
function colU(c, slot) { return st.mode === "time" ? cols.time[c] : c + (slot === undefined ? 0.5 : slot); }
function xOf(u) { return NAME_W + (u - st.u0) * st.scale; }
function uOf(x) { return st.u0 + (x - NAME_W) / st.scale; }
function plotW() { return st.width - NAME_W; }
// The loop's lane sits under the last task's, or at the bottom when they overflow.
function lanesBottom() { return Math.min(st.height - LOOP_H, RULER_H + st.shown.length * LANE_H + 8); }
function rowY(row) { return RULER_H + row * LANE_H - st.scrollY; }
function fit() {  // the whole run, with room for the first and last marks
  st.scale = Math.max(plotW() - 44, 10) / extent();
  st.u0 = -16 / st.scale;
}
function clampScroll() {
  const most = Math.max(0, st.shown.length * LANE_H - (lanesBottom() - RULER_H));
  st.scrollY = Math.min(Math.max(0, st.scrollY), most);
}
function zoomAt(x, factor) {
  const u = uOf(x);
  const fitScale = plotW() / extent();
  st.scale = Math.min(Math.max(st.scale * factor, fitScale / 4), fitScale * 1e7);
  st.u0 = u - (x - NAME_W) / st.scale;
}
function turnU(index) {
  const c = columnOfTurn.get(turns[index]);
  return colU(c);
}
function labelOf(lane, w) {
  const label = lane.w[w + 5];
  if (label !== -2) return str(label);
  return w >= STRETCH ? "woken: " + labelOf(lane, w - STRETCH) : "woken";
}
function stretchSpan(lane, w) {
  const last = lane.w[w + 2];
  if (st.mode === "time") return [lane.w[w + 3], lane.w[w + 4]];
  return [lane.w[w + 1] + 0.5, last < 0 ? ncols : last + 0.5];
}

// First index i (in records of `size`) whose key u is >= target, by bisection.
function firstAtOrAfter(array, size, keyOf, target) {
  let lo = 0, hi = array.length / size;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(mid * size) < target) lo = mid + 1; else hi = mid;
  }
  return lo * size;
}

// --- text that fits ---------------------------------------------------------------------------
const widths = new Map();
function textWidth(text) {
  let w = widths.get(text);
  if (w === undefined) { w = ctx.measureText(text).width; if (widths.size < 50000) widths.set(text, w); }
  return w;
}
function fitting(label, room) {
  const cut = (sep) => { const i = label.indexOf(sep); return i > 0 ? label.slice(0, i) : label; };
  for (const candidate of [label, cut(" until "), cut(" ("), cut("(")]) {
    if (textWidth(candidate) <= room) return candidate;
  }
  return "";
}

// --- drawing -----------------------------------------------------------------------------------
let pending = false;
function redraw() { if (!pending) { pending = true; requestAnimationFrame(draw); } }

function faded(index) {
  return st.lane >= 0 && index !== st.lane && !related[st.lane].has(index);
}

function draw() {
  pending = false;
  const drawn = { lanes: [], labels: [], steps: 0, bars: 0, marks: 0, arrows: 0 };
  const W = st.width, H = st.height;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
  const uLeft = uOf(NAME_W) - 1e-9, uRight = uOf(W);
  const first = Math.max(0, Math.floor(st.scrollY / LANE_H));
  const last = Math.min(st.shown.length, Math.ceil((st.scrollY + lanesBottom() - RULER_H) / LANE_H));
  ctx.save();
  ctx.beginPath(); ctx.rect(NAME_W, RULER_H, W - NAME_W, lanesBottom() - RULER_H); ctx.clip();
  if (st.mode === "turns") {  // the loop asleep: shaded columns
    ctx.fillStyle = "#f3f3f3";
    for (let c = Math.max(0, Math.floor(uLeft)); c < Math.min(ncols, uRight + 1); c++) {
      if (cols.gap[c]) ctx.fillRect(xOf(c), RULER_H, st.scale, H);
    }
  }
  const positions = new Map();
  for (let row = first; row < last; row++) {
    const index = st.shown[row], lane = lanes[index], y = rowY(row) + LANE_H / 2;
    drawn.lanes.push(str(lane.n));
    ctx.globalAlpha = faded(index) ? 0.25 : 1;
    if (index === st.lane) { ctx.fillStyle = "#eef4ff"; ctx.fillRect(NAME_W, y - LANE_H / 2, W, LANE_H); }
    else if (row % 2 === 0) { ctx.fillStyle = "#fafafc"; ctx.fillRect(NAME_W, y - LANE_H / 2, W, LANE_H); }
    drawStretches(lane, y, uLeft, uRight, drawn);
    const cu = colU(lane.c);
    if (cu >= uLeft && cu <= uRight) diamond(xOf(cu), y, "#fff", "#555");
    drawSteps(lane, y, uLeft, uRight, drawn);
    if (lane.o >= 0 && lane.e >= 0) {
      const [mark, color] = ENDINGS[lane.o];
      ctx.fillStyle = color; ctx.font = "bold 14px system-ui, sans-serif";
      ctx.fillText(mark, xOf(colU(lane.e)) + 7, y + 5);
      ctx.font = "11px system-ui, sans-serif";
    }
    positions.set(index, y);
  }
  ctx.globalAlpha = 1;
  ctx.restore();
  drawLoopLane(uLeft, uRight, drawn);
  drawTurnCursor();
  drawArrows(positions, drawn);  // over the loop's lane: timer arrows end at its marks
  drawRuler(uLeft, uRight);
  drawNames(first, last);
  st.drawn = drawn;
  window.miniloopView.drawn = drawn;
  if (!window.miniloopView.firstPaint) {
    window.miniloopView.firstPaint = performance.now();
    performance.mark("miniloop-drawn");
  }
}

function diamond(x, y, fill, stroke) {
  ctx.beginPath(); ctx.moveTo(x - 5, y); ctx.lineTo(x, y - 5); ctx.lineTo(x + 5, y); ctx.lineTo(x, y + 5);
  ctx.closePath(); ctx.fillStyle = fill; ctx.fill(); ctx.strokeStyle = stroke; ctx.lineWidth = 1; ctx.stroke();
}

function drawStretches(lane, y, uLeft, uRight, drawn) {
  const w = lane.w;
  for (let i = 0; i < w.length; i += STRETCH) {
    const [a, b] = stretchSpan(lane, i);
    if (b < uLeft || a > uRight) continue;
    const x1 = Math.max(xOf(a), NAME_W - 2), x2 = Math.min(xOf(b), st.width + 2);
    if (w[i] === 0) {
      ctx.strokeStyle = "#9a9a9a"; ctx.lineWidth = 2; ctx.setLineDash([2, 4]);
      ctx.beginPath(); ctx.moveTo(x1, y); ctx.lineTo(x2, y); ctx.stroke(); ctx.setLineDash([]);
      continue;
    }
    drawn.bars++;
    ctx.fillStyle = WAIT_COLORS[w[i + 6]];
    const width = Math.max(2, x2 - x1);
    ctx.beginPath();
    if (ctx.roundRect) ctx.roundRect(x1, y - BAR_H / 2, width, BAR_H, 4); else ctx.rect(x1, y - BAR_H / 2, width, BAR_H);
    ctx.fill();
    if (st.item && st.item.type === "stretch" && st.item.lane === lane && st.item.i === i) {
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.stroke();
    }
    const left = Math.max(x1, NAME_W) + 8, room = x2 - left - 6;
    if (room > 12) {
      const label = fitting(labelOf(lane, i), room);
      if (label) {
        ctx.fillStyle = "#222"; ctx.fillText(label, left, y + 4);
        drawn.labels.push(label);
      }
    }
  }
}

function drawSteps(lane, y, uLeft, uRight, drawn) {
  const s = lane.s;
  const key = st.mode === "time" ? (i) => s[i + 1] : (i) => s[i] + 0.5;
  let lastX = -10;
  for (let i = firstAtOrAfter(s, STEP, key, uLeft); i < s.length; i += STEP) {
    const u = key(i);
    if (u > uRight) break;
    const x = xOf(u);
    const chosen = st.item && st.item.type === "step" && st.item.lane === lane && st.item.i === i;
    if (x - lastX < 1 && !chosen) continue;  // a pixel holds one dot
    lastX = x; drawn.steps++;
    ctx.beginPath(); ctx.arc(x, y, chosen ? 6 : 4.5, 0, 2 * Math.PI);
    ctx.fillStyle = "#1f4e8c"; ctx.fill();
    if (chosen) { ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.stroke(); }
  }
}

function drawTurnCursor() {
  if (!turns.length) return;
  const x = xOf(turnU(st.turn));
  if (x < NAME_W || x > st.width) return;
  ctx.strokeStyle = "rgba(220, 40, 40, 0.8)"; ctx.lineWidth = 1.5;
  ctx.beginPath(); ctx.moveTo(x, RULER_H - 18); ctx.lineTo(x, lanesBottom() + LOOP_H); ctx.stroke();
}

function laneY(index, positions) {
  if (index < 0) return lanesBottom() + LOOP_H / 2;
  return positions.get(index);
}

function arrowsShown() {
  const all = A.length / ARROW;
  const out = [];
  for (let a = 0; a < A.length; a += ARROW) {
    const from = A[a], to = A[a + 4];
    // Unselected, every arrow of a small run; on a bigger one they would be a mesh.
    if (st.lane >= 0 ? (from === st.lane || to === st.lane) : all <= 80) out.push(a);
  }
  return out;
}

function arrowGeometry(a, positions) {
  
  const y1 = laneY(A[a], positions), y2 = laneY(A[a + 4], positions);
  if (y1 === undefined || y2 === undefined) return null;
  const u1 = st.mode === "time" ? A[a + 2] : A[a + 1] + (A[a] < 0 ? A[a + 3] : 0.5);
  const u2 = st.mode === "time" ? A[a + 6] : A[a + 5] + (A[a + 4] < 0 ? A[a + 7] : 0.5);
  const x1 = xOf(u1), x2 = xOf(u2);
  if (Math.max(x1, x2) < NAME_W || Math.min(x1, x2) > st.width) return null;
  const bend = Math.max(14, Math.abs(x2 - x1) / 3);
  return [x1, y1, x1 + bend, y1, x2 - bend, y2, x2 - 6, y2];
}

function drawArrows(positions, drawn) {
  ctx.save();
  ctx.beginPath(); ctx.rect(NAME_W, RULER_H, st.width - NAME_W, st.height - RULER_H); ctx.clip();
  for (const a of arrowsShown()) {
    const g = arrowGeometry(a, positions);
    if (!g) continue;
    const kind = A[a + 8];
    const chosen = st.item && st.item.type === "arrow" && st.item.a === a;
    ctx.strokeStyle = ARROW_COLORS[kind]; ctx.fillStyle = ARROW_COLORS[kind];
    ctx.globalAlpha = chosen ? 1 : st.lane >= 0 ? 0.85 : 0.5;
    ctx.lineWidth = chosen ? 3 : 1.4;
    ctx.setLineDash(kind === 3 ? [5, 4] : []);
    ctx.beginPath(); ctx.moveTo(g[0], g[1]); ctx.bezierCurveTo(g[2], g[3], g[4], g[5], g[6], g[7]); ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath(); ctx.moveTo(g[6] + 6, g[7]); ctx.lineTo(g[6] - 2, g[7] - 4); ctx.lineTo(g[6] - 2, g[7] + 4);
    ctx.closePath(); ctx.fill();
    drawn.arrows++;
  }
  ctx.restore();
}

function loopU(m) { return st.mode === "time" ? D.loop[m + 1] : D.loop[m] + D.loop[m + 6]; }

function drawLoopLane(uLeft, uRight, drawn) {
  const top = lanesBottom(), y = top + LOOP_H / 2;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, top, st.width, LOOP_H);
  ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(0, top + 0.5); ctx.lineTo(st.width, top + 0.5); ctx.stroke();
  ctx.fillStyle = "#222"; ctx.font = "600 12px system-ui, sans-serif";
  ctx.fillText("the loop", 8, y + 4);
  ctx.font = "11px system-ui, sans-serif";
  ctx.save();
  ctx.beginPath(); ctx.rect(NAME_W, top, st.width - NAME_W, LOOP_H); ctx.clip();
  const L = D.loop;
  const lastX = [-10, -10, -10, -10];
  const start = st.mode === "turns" ? firstAtOrAfter(L, LOOPM, (i) => L[i] + 1, uLeft)
                                    : firstAtOrAfter(L, LOOPM, (i) => L[i + 1], uLeft);
  for (let m = Math.max(0, start - LOOPM); m < L.length; m += LOOPM) {
    const kind = L[m + 2];
    let u = loopU(m);
    if (kind === 3) {  // idle: a pill across its column, or up to when it woke
      const a = st.mode === "time" ? L[m + 1] : L[m];
      const next = L[m] + 1 < ncols ? cols.time[L[m] + 1] : D.end;
      const b = st.mode === "time" ? Math.max(next, a) : L[m] + 1;
      if (a > uRight) break;
      const x1 = xOf(a) + 2, x2 = Math.max(xOf(b) - 2, x1 + 4);
      ctx.fillStyle = "#e3e3e3"; ctx.beginPath();
      if (ctx.roundRect) ctx.roundRect(x1, y - 7, x2 - x1, 14, 7); else ctx.rect(x1, y - 7, x2 - x1, 14);
      ctx.fill();
      const label = fitting("slept " + (next - L[m + 1]).toPrecision(3) + " s", x2 - x1 - 8);
      if (label) { ctx.fillStyle = "#555"; ctx.fillText(label, x1 + 4, y + 4); }
      continue;
    }
    if (u > uRight) break;
    if (u < uLeft) continue;
    const x = xOf(u);
    const chosen = st.item && st.item.type === "loop" && st.item.m === m;
    if (x - lastX[kind] < 2 && !chosen) continue;
    lastX[kind] = x; drawn.marks++;
    if (kind === 0) {
      ctx.fillStyle = "#d08a12"; ctx.beginPath();
      ctx.moveTo(x - 5, y - 6); ctx.lineTo(x + 5, y - 6); ctx.lineTo(x, y + 6); ctx.closePath(); ctx.fill();
    } else if (kind === 2) {
      ctx.fillStyle = "#5d7ea8"; ctx.fillRect(x - 5, y - 5, 10, 10);
    } else {
      ctx.fillStyle = "#8b4fc4"; ctx.beginPath();
      ctx.moveTo(x - 5, y); ctx.lineTo(x, y - 5); ctx.lineTo(x + 5, y); ctx.lineTo(x, y + 5); ctx.closePath(); ctx.fill();
    }
    if (chosen) { ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.strokeRect(x - 7, y - 8, 14, 16); }
  }
  ctx.restore();
}

function niceStep(span, pixels) {
  const raw = span * 90 / Math.max(pixels, 1);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function drawRuler(uLeft, uRight) {
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, st.width, RULER_H);
  ctx.strokeStyle = "#ccc"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(0, RULER_H - 0.5); ctx.lineTo(st.width, RULER_H - 0.5); ctx.stroke();
  ctx.fillStyle = "#777"; ctx.font = "11px system-ui, sans-serif";
  ctx.save();
  ctx.beginPath(); ctx.rect(NAME_W, 0, st.width - NAME_W, RULER_H); ctx.clip();
  if (st.mode === "time") {
    const step = niceStep(uRight - uLeft, plotW());
    const digits = Math.max(0, Math.min(9, -Math.floor(Math.log10(step))));
    for (let t = Math.ceil(uLeft / step) * step; t <= uRight; t += step) {
      const x = xOf(t);
      ctx.fillRect(x, RULER_H - 8, 1, 8);
      ctx.fillText(t.toFixed(digits), x + 3, RULER_H - 10);
    }
  } else {
    let freeTurn = -1e9, freeTime = -1e9, previous = null;
    for (let c = Math.max(0, Math.floor(uLeft)); c < Math.min(ncols, Math.ceil(uRight) + 1); c++) {
      const x = xOf(c + 0.5);
      const label = String(cols.turn[c]);
      if (!cols.gap[c] && x - 3 >= freeTurn) {
        ctx.fillText(label, x - 3, 16); freeTurn = x + textWidth(label) + 6;
        ctx.fillRect(x, RULER_H - 6, 1, 6);
      }
      const time = cols.time[c];
      const changed = previous === null || time - previous > 0.0005;
      previous = time;
      if (changed && !cols.gap[c] && x - 3 >= freeTime) {
        const text = time.toFixed(3);
        ctx.fillText(text, x - 3, 34); freeTime = x + textWidth(text) + 8;
      }
    }
  }
  if (turns.length) {  // the picked turn, always labelled
    const x = xOf(turnU(st.turn));
    const text = "turn " + turns[st.turn];
    const w = textWidth(text) + 8;
    const left = Math.min(Math.max(x - w / 2, NAME_W), st.width - w);
    ctx.fillStyle = "#dc2828"; ctx.fillRect(left, 0, w, 14);
    ctx.fillStyle = "#fff"; ctx.fillText(text, left + 4, 11);
  }
  ctx.restore();
  ctx.fillStyle = "#777";
  ctx.fillText(st.mode === "time" ? "loop time (s)" : "turn", 8, 16);
  if (st.mode === "turns") ctx.fillText("loop time (s)", 8, 34);
}

function drawNames(first, last) {
  const rows = [];
  for (let row = first; row < last; row++) {
    const index = st.shown[row], lane = lanes[index];
    const div = document.createElement("div");
    div.className = "name" + (index === st.lane ? " selected" : faded(index) ? " faded" : "");
    div.style.top = rowY(row) + "px";
    div.textContent = str(lane.n);
    div.title = str(lane.n) + "\n" + str(lane.ct);
    div.dataset.lane = str(lane.k);
    rows.push(div);
  }
  namesBox.replaceChildren(...rows);
  namesBox.style.height = lanesBottom() + "px";
  namesBox.style.clipPath = "inset(" + RULER_H + "px 0 0 0)";
}

// --- picking things with the mouse -----------------------------------------------------------------
function hit(x, y) {
  if (y < RULER_H) return { type: "turn", turn: nearestTurn(x) };
  if (x < NAME_W && y < lanesBottom()) {
    const row = Math.floor((y - RULER_H + st.scrollY) / LANE_H);
    return row < st.shown.length ? { type: "lane", lane: st.shown[row] } : null;
  }
  if (y >= lanesBottom() + LOOP_H) return null;
  if (y >= lanesBottom()) {
    let best = null, bestD = 8;
    const L = D.loop;
    for (let m = 0; m < L.length; m += LOOPM) {
      if (L[m + 2] === 3) continue;
      const d = Math.abs(xOf(loopU(m)) - x);
      if (d < bestD) { best = m; bestD = d; }
    }
    return best === null ? null : { type: "loop", m: best };
  }
  const row = Math.floor((y - RULER_H + st.scrollY) / LANE_H);
  const positions = new Map();
  for (let r = Math.floor(st.scrollY / LANE_H); r < st.shown.length && rowY(r) < lanesBottom(); r++) {
    positions.set(st.shown[r], rowY(r) + LANE_H / 2);
  }
  if (row < st.shown.length) {
    const index = st.shown[row], lane = lanes[index], ly = rowY(row) + LANE_H / 2;
    if (Math.abs(y - ly) <= 8) {
      let best = null, bestD = 7;
      for (let i = 0; i < lane.s.length; i += STEP) {
        const d = Math.abs(xOf(st.mode === "time" ? lane.s[i + 1] : lane.s[i] + 0.5) - x);
        if (d < bestD) { best = i; bestD = d; }
      }
      if (best !== null) return { type: "step", lane, index, i: best };
    }
    const arrow = hitArrow(x, y, positions);
    if (arrow !== null) return arrow;
    const u = uOf(x);
    for (let i = 0; i < lane.w.length; i += STRETCH) {
      const [a, b] = stretchSpan(lane, i);
      if (u >= a && u <= Math.max(b, a + 2 / st.scale) && lane.w[i] === 1) {
        return { type: "stretch", lane, index, i };
      }
    }
    return { type: "lane", lane: index };
  }
  return hitArrow(x, y, positions);
}

function hitArrow(x, y, positions) {
  for (const a of arrowsShown()) {
    const g = arrowGeometry(a, positions);
    if (!g) continue;
    for (let k = 0; k <= 16; k++) {
      const t = k / 16, s = 1 - t;
      const px = s * s * s * g[0] + 3 * s * s * t * g[2] + 3 * s * t * t * g[4] + t * t * t * g[6];
      const py = s * s * s * g[1] + 3 * s * s * t * g[3] + 3 * s * t * t * g[5] + t * t * t * g[7];
      if (Math.abs(px - x) <= 4 && Math.abs(py - y) <= 4) return { type: "arrow", a };
    }
  }
  return null;
}

function nearestTurn(x) {
  const u = uOf(x);
  let best = 0, bestD = Infinity;
  for (let i = 0; i < turns.length; i++) {
    const d = Math.abs(turnU(i) - u);
    if (d < bestD) { best = i; bestD = d; }
  }
  return best;
}

function turnIndexOfColumn(c) { return Math.max(0, turns.indexOf(cols.turn[c])); }

function choose(item) {
  st.item = item;
  if (!item) { st.lane = -1; showDetails(); redraw(); return; }
  if (item.type === "turn") { setTurn(item.turn); return; }
  if (item.type === "lane") st.lane = item.lane;
  if (item.type === "step") { st.lane = item.index; setTurn(turnIndexOfColumn(item.lane.s[item.i]), false); }
  if (item.type === "stretch") { st.lane = item.index; setTurn(turnIndexOfColumn(item.lane.w[item.i + 1]), false); }
  if (item.type === "loop") setTurn(turnIndexOfColumn(D.loop[item.m]), false);
  if (item.type === "arrow") setTurn(turnIndexOfColumn(A[item.a + 5]), false);
  showDetails();
  redraw();
}

// --- the panel ----------------------------------------------------------------------------------------
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}
function row(key, value) {
  const div = el("div");
  div.append(el("span", "k", key + ": "), el("span", "", value));
  return div;
}
function code(text) { return el("code", "", text); }

function laneTitle(index) { return index < 0 ? "the loop" : str(lanes[index].n); }

function showDetails() {
  const box = document.getElementById("details");
  const item = st.item, out = [];
  if (!item) {
    out.push(el("div", "", "Click a step, a bar, a loop mark or an arrow. Pick a turn on the " +
                "ruler, or step through turns with ← and →."));
  } else if (item.type === "lane") {
    const lane = lanes[item.lane];
    out.push(el("b", "", str(lane.n)), row("made", str(lane.ct)));
    out.push(row("steps", String(lane.s.length / STEP)));
    out.push(row("ended", lane.o >= 0 ? str(lane.ot) : "still pending at the end"));
    relations(out, item.lane);
  } else if (item.type === "step") {
    const s = item.lane.s, i = item.i;
    out.push(el("b", "", str(item.lane.n) + ": step " + s[i + 2]));
    out.push(row("turn", String(cols.turn[s[i]]) + " at loop time " + s[i + 1].toFixed(6) + " s"));
    out.push(row("why it ran", str(s[i + 3])));
    const then = stepOutcome(item.lane, i);
    if (then) out.push(row("then", then));
    arrowsOf(out, s[i + 4], "into");
    arrowsOf(out, s[i + 4], "out of");
  } else if (item.type === "stretch") {
    const w = item.lane.w, i = item.i;
    out.push(el("b", "", str(item.lane.n) + " waits on " + labelOf(item.lane, i)));
    const end = w[i + 2] < 0 ? "the end of the run (still waiting)" : w[i + 4].toFixed(6) + " s";
    out.push(row("from", w[i + 3].toFixed(6) + " s (turn " + cols.turn[w[i + 1]] + ") to " + end));
    out.push(row("for", (w[i + 4] - w[i + 3]).toFixed(6) + " s"));
    if (w[i + 7] >= 0) out.push(row("at", str(w[i + 7])));
    if (w[i + 8] >= 0) out.push(code(str(w[i + 8])));
    const next = i + STRETCH < w.length ? i + STRETCH : -1;
    if (next >= 0 && w[next] === 0) out.push(row("then", labelOf(item.lane, next)));
    const steps = item.lane.s;  // the step it woke into: what led there woke it
    for (let k = 0; k < steps.length; k += STEP) {
      if (steps[k + 4] > w[i + 9]) { arrowsOf(out, steps[k + 4], "into"); break; }
    }
  } else if (item.type === "loop") {
    const L = D.loop, m = item.m;
    out.push(el("b", "", LOOP_NAMES[L[m + 2]]), el("div", "", str(L[m + 3])));
    out.push(row("turn", String(cols.turn[L[m]]) + " at loop time " + L[m + 1].toFixed(6) + " s"));
    arrowsOf(out, L[m + 4], "out of");
  } else if (item.type === "arrow") {
    const a = item.a;
    out.push(el("b", "", "arrow: " + ARROW_NAMES[A[a + 8]]));
    out.push(row("from", describeSeq(A[a + 9])));
    out.push(row("to", describeSeq(A[a + 10])));
    out.push(row("turns", cols.turn[A[a + 1]] + " → " + cols.turn[A[a + 5]]));
  }
  box.replaceChildren(...out);
}

function relations(out, index) {
  const lists = { made: [], "woken by": [], woke: [] };
  
  for (let a = 0; a < A.length; a += ARROW) {
    if (A[a + 4] === index && A[a + 8] === 1) lists.made.push(laneTitle(A[a]));
    if (A[a + 4] === index && A[a + 8] === 0 && A[a] !== index) lists["woken by"].push(laneTitle(A[a]));
    if (A[a] === index && A[a + 8] === 0 && A[a + 4] !== index) lists.woke.push(laneTitle(A[a + 4]));
  }
  for (const [name, list] of Object.entries(lists)) {
    const unique = [...new Set(list)];
    if (unique.length) out.push(row(name === "made" ? "made by" : name, unique.slice(0, 20).join(", ") + (unique.length > 20 ? ", …" : "")));
  }
}

function arrowsOf(out, seq, direction) {
  const found = [], into = direction === "into";
  for (let a = 0; a < A.length; a += ARROW) {
    if (A[a + (into ? 10 : 9)] !== seq) continue;
    found.push((into ? ARROW_INTO : ARROW_NAMES)[A[a + 8]] + ": " + describeSeq(A[a + (into ? 9 : 10)]));
  }
  if (found.length) {
    out.push(el("h3", "", into ? "what led here" : "what it led to"));
    const list = el("ul");
    for (const text of found.slice(0, 30)) list.append(el("li", "", text));
    if (found.length > 30) list.append(el("li", "more", "… and " + (found.length - 30) + " more"));
    out.push(list);
  }
}

function describeSeq(seq) {
  const found = bySeq.get(seq);
  if (!found) return "(not drawn)";
  const [index, i] = found;
  if (index < 0) return "the loop: " + str(D.loop[i + 3]);
  const s = lanes[index].s;
  return str(lanes[index].n) + ": step " + s[i + 2] + " (" + str(s[i + 3]) + ")";
}

function stepOutcome(lane, i) {
  // The stretch that began in the step's turn, after it; or the lane's ending.
  const seq = lane.s[i + 4], w = lane.w;
  for (let k = 0; k < w.length; k += STRETCH) {
    if (w[k + 9] > seq) {
      if (w[k + 1] !== lane.s[i]) break;
      if (w[k] === 1) return "waits on " + labelOf(lane, k) + (w[k + 7] >= 0 ? ", at " + str(w[k + 7]) : "");
      return labelOf(lane, k);
    }
  }
  const next = i + STEP < lane.s.length ? lane.s[i + STEP + 4] : Infinity;
  return lane.e === lane.s[i] && next === Infinity ? str(lane.ot) : "";
}

function setTurn(index, show) {
  if (!turns.length) return;
  st.turn = Math.max(0, Math.min(turns.length - 1, index));
  const x = xOf(turnU(st.turn));
  if (x < NAME_W || x > st.width) st.u0 = turnU(st.turn) - (plotW() / 2) / st.scale;
  showState();
  if (show !== false) redraw();
}

// A task's state before a turn: the stretch it was in after the turns before
// ([state, label, where, source]), null if it did not exist yet.
function stateBefore(lane, turn) {
  if (cols.turn[lane.c] >= turn) return null;
  if (lane.e >= 0 && cols.turn[lane.e] < turn) return [3, str(lane.ot), "", ""];
  const w = lane.w;
  let lo = 0, hi = w.length / STRETCH;  // the last stretch begun in an earlier turn
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cols.turn[w[mid * STRETCH + 1]] < turn) lo = mid + 1; else hi = mid;
  }
  if (lo === 0) return [0, "", "", ""];
  const k = (lo - 1) * STRETCH;
  if (w[k] === 1) return [2, labelOf(lane, k), str(w[k + 7]), str(w[k + 8])];
  if (k === 0) return [0, "", "", ""];
  const label = labelOf(lane, k);
  return [1, label.startsWith("woken: ") ? label.slice(7) + " is done" : label, "", ""];
}

function showState() {
  const box = document.getElementById("state");
  const title = document.getElementById("state-title");
  if (!turns.length) { title.textContent = "Nothing happened"; box.replaceChildren(); return; }
  const turn = turns[st.turn], c = columnOfTurn.get(turn);
  title.textContent = "The loop before turn " + turn + " · loop time " + cols.time[c].toFixed(3) + " s";
  const out = [];
  const ready = D.ready[String(turn)] || [];
  out.push(el("h3", "", "ready queue (" + ready.length + ")" + (ready.length ? ", run in this order" : ": nothing")));
  if (ready.length) {
    const list = el("ol");
    for (const seq of ready.slice(0, 200)) list.append(el("li", "", describeSeq(seq)));
    if (ready.length > 200) list.append(el("li", "more", "… and " + (ready.length - 200) + " more"));
    out.push(list);
  }
  const T = D.timers, timers = [];
  for (let i = 0; i < T.length; i += 5) if (T[i] <= turn && turn <= T[i + 1]) timers.push(i);
  timers.sort((a, b) => T[a + 2] - T[b + 2]);
  out.push(el("h3", "", "timers (" + timers.length + ")" + (timers.length ? ", soonest first" : ": none")));
  if (timers.length) {
    const list = el("ul");
    for (const i of timers.slice(0, 200)) {
      const wait = Math.max(0, T[i + 2] - cols.time[c]);
      list.append(el("li", "", T[i + 2].toFixed(3) + " (in " + wait.toFixed(3) + " s)  " + str(T[i + 3])));
    }
    if (timers.length > 200) list.append(el("li", "more", "… and " + (timers.length - 200) + " more"));
    out.push(list);
  }
  const IO = D.io, io = [];
  for (let i = 0; i < IO.length; i += 4) if (IO[i] <= turn && turn <= IO[i + 1]) io.push(str(IO[i + 2]));
  out.push(el("h3", "", "IO (" + io.length + ")" + (io.length ? "" : ": nothing watched")));
  if (io.length) { const list = el("ul"); for (const t of io) list.append(el("li", "", t)); out.push(list); }
  const live = [];
  let done = 0;
  for (const index of st.shown) {
    const state = stateBefore(lanes[index], turn);
    if (state === null) continue;
    if (state[0] === 3) { done++; continue; }
    live.push([index, state]);
  }
  out.push(el("h3", "", "tasks (" + live.length + " alive, " + done + " done" +
              (st.query ? ", matching the search" : "") + ")"));
  const list = el("ul");
  for (const [index, [state, label, where, source]] of live.slice(0, 300)) {
    const li = el("li", "task");
    const chip = el("span", "chip", STATE_NAMES[state]);
    chip.style.background = STATE_COLORS[state];
    li.append(chip, el("b", "", str(lanes[index].n)));
    if (label) li.append(el("span", "", ": " + label));
    if (where) li.append(el("div", "k", "at " + where));
    if (source) li.append(code(source));
    li.addEventListener("click", () => { choose({ type: "lane", lane: index }); scrollToLane(index); });
    list.append(li);
  }
  if (live.length > 300) list.append(el("li", "more", "… and " + (live.length - 300) + " more (search to narrow)"));
  out.push(list);
  box.replaceChildren(...out);
}

function scrollToLane(index) {
  const row = st.shown.indexOf(index);
  if (row < 0) return;
  const top = row * LANE_H, room = lanesBottom() - RULER_H;
  if (top < st.scrollY) st.scrollY = top;
  else if (top + LANE_H > st.scrollY + room) st.scrollY = top + LANE_H - room;
  clampScroll(); redraw();
}

function applySearch() {
  st.query = search.value.trim().toLowerCase();
  st.shown = [];
  for (let i = 0; i < lanes.length; i++) if (!st.query || laneNames[i].includes(st.query)) st.shown.push(i);
  document.getElementById("matches").textContent =
    st.query ? st.shown.length + " of " + lanes.length + " tasks" : lanes.length + " tasks";
  st.scrollY = 0; clampScroll(); showState(); redraw();
}

// --- input -------------------------------------------------------------------------------------------
function setMode(mode) {
  st.mode = mode;
  document.getElementById("axis-time").classList.toggle("on", mode === "time");
  document.getElementById("axis-turns").classList.toggle("on", mode === "turns");
  fit();
  redraw();
}

let drag = null;
canvas.addEventListener("mousedown", (e) => {
  drag = { x: e.clientX, y: e.clientY, u0: st.u0, scrollY: st.scrollY, moved: false };
  view.focus();
});
const tip = document.createElement("div");
tip.id = "tip";
view.append(tip);
let hovered = null;
canvas.addEventListener("mousemove", (e) => {
  if (drag) return;
  hovered = e;
  requestAnimationFrame(() => {
    if (hovered !== e) return;
    const box = canvas.getBoundingClientRect();
    const x = e.clientX - box.left, y = e.clientY - box.top;
    const text = hoverText(hit(x, y));
    tip.textContent = text;
    tip.style.display = text ? "block" : "none";
    tip.style.left = Math.min(x + 14, st.width - 320) + "px";
    tip.style.top = (y + 16) + "px";
  });
});
canvas.addEventListener("mouseleave", () => { hovered = null; tip.style.display = "none"; });

// One line about the thing under the mouse (a click shows everything).
function hoverText(item) {
  if (!item) return "";
  if (item.type === "step") return describeSeq(item.lane.s[item.i + 4]);
  if (item.type === "stretch") {
    const w = item.lane.w, i = item.i;
    return str(item.lane.n) + " waits on " + labelOf(item.lane, i) + " for " +
      (w[i + 4] - w[i + 3]).toFixed(3) + " s";
  }
  if (item.type === "loop") return str(D.loop[item.m + 3]);
  if (item.type === "arrow") {
    return ARROW_NAMES[A[item.a + 8]] + ": " + describeSeq(A[item.a + 9]) + " → " +
      describeSeq(A[item.a + 10]);
  }
  if (item.type === "turn") return "turn " + turns[item.turn] + ": click to see the loop before it";
  return "";
}

window.addEventListener("mousemove", (e) => {
  if (!drag) return;
  const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
  if (drag.moved) {
    st.u0 = drag.u0 - dx / st.scale; st.scrollY = drag.scrollY - dy; clampScroll(); redraw();
    canvas.style.cursor = "grabbing";
  }
});
window.addEventListener("mouseup", (e) => {
  if (!drag) return;
  const moved = drag.moved;
  drag = null; canvas.style.cursor = "default";
  if (moved) return;
  const box = canvas.getBoundingClientRect();
  choose(hit(e.clientX - box.left, e.clientY - box.top));
});
canvas.addEventListener("wheel", (e) => {
  e.preventDefault();
  const box = canvas.getBoundingClientRect();
  if (e.ctrlKey || e.metaKey) zoomAt(e.clientX - box.left, Math.exp(-e.deltaY * 0.002));
  else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) st.u0 += (e.deltaX || e.deltaY) / st.scale;
  else { st.scrollY += e.deltaY; clampScroll(); }
  redraw();
}, { passive: false });

document.addEventListener("keydown", (e) => {
  if (e.target === search) {
    if (e.key === "Escape") { search.blur(); view.focus(); }
    if (e.key === "Enter" && st.shown.length) { choose({ type: "lane", lane: st.shown[0] }); scrollToLane(st.shown[0]); view.focus(); }
    return;
  }
  const center = NAME_W + plotW() / 2;
  let handled = true;
  if (e.key === "ArrowRight" && e.shiftKey) st.u0 += plotW() / 4 / st.scale;
  else if (e.key === "ArrowLeft" && e.shiftKey) st.u0 -= plotW() / 4 / st.scale;
  else if (e.key === "ArrowRight") setTurn(st.turn + 1);
  else if (e.key === "ArrowLeft") setTurn(st.turn - 1);
  else if (e.key === "Home") setTurn(0);
  else if (e.key === "End") setTurn(turns.length - 1);
  else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    if (st.shown.length) {
      const row = st.shown.indexOf(st.lane);
      const next = row < 0 ? 0 : Math.max(0, Math.min(st.shown.length - 1, row + (e.key === "ArrowDown" ? 1 : -1)));
      choose({ type: "lane", lane: st.shown[next] }); scrollToLane(st.shown[next]);
    }
  }
  else if (e.key === "+" || e.key === "=") zoomAt(center, 1.5);
  else if (e.key === "-" || e.key === "_") zoomAt(center, 1 / 1.5);
  else if (e.key === "0") fit();
  else if (e.key === "t") setMode(st.mode === "time" ? "turns" : "time");
  else if (e.key === "/") { search.focus(); }
  else if (e.key === "Escape") choose(null);
  else handled = false;
  if (handled) { e.preventDefault(); redraw(); }
});
search.addEventListener("input", applySearch);
document.getElementById("axis-time").addEventListener("click", () => setMode("time"));
document.getElementById("axis-turns").addEventListener("click", () => setMode("turns"));
document.getElementById("zoom-in").addEventListener("click", () => { zoomAt(NAME_W + plotW() / 2, 1.5); redraw(); });
document.getElementById("zoom-out").addEventListener("click", () => { zoomAt(NAME_W + plotW() / 2, 1 / 1.5); redraw(); });
document.getElementById("zoom-fit").addEventListener("click", () => { fit(); redraw(); });

function resize() {
  const ratio = window.devicePixelRatio || 1;
  const box = view.getBoundingClientRect();
  const keep = st.width ? uOf(NAME_W) : null, span = st.width ? plotW() / st.scale : null;
  st.width = Math.max(300, box.width); st.height = Math.max(150, box.height);
  canvas.width = Math.round(st.width * ratio); canvas.height = Math.round(st.height * ratio);
  canvas.style.width = st.width + "px"; canvas.style.height = st.height + "px";
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  if (keep === null) fit(); else { st.scale = plotW() / span; st.u0 = keep; }
  clampScroll(); redraw();
}
window.addEventListener("resize", resize);

if (D.log !== null) {
  const more = el("section");
  const details = el("details");
  details.append(el("summary", "", "the full trace log"), el("pre", "", D.log));
  more.append(details);
  document.getElementById("panel").append(more);
}

window.miniloopView = {
  state: st, turns, lanes: () => st.shown.map((i) => str(lanes[i].n)),
  firstPaint: 0, drawn: null,
  item: () => (st.item ? st.item.type : null),
};
setMode(st.mode);
resize();
applySearch();
setTurn(0);
})();
