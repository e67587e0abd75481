// view-page.js: the timeline page's script (inlined by view.js after d3 and the data).
/* global d3 */
(function () {
  'use strict';
  const model = JSON.parse(document.getElementById('trace-data').textContent);
  const PHASES = ['timers', 'pending', 'idle', 'prepare', 'poll', 'check', 'close'];
  const LANE_H = 24, PROC_H = 22, PANEL_H = 34, LEFT = 210, RIGHT = 16, GAP = 18;
  const chart = document.getElementById('chart');
  const width = Math.max(900, chart.clientWidth || 1200);

  // ---------------------------------------------------------------- layout
  const sides = [
    { src: 'kit', title: 'kit (C++, posix_impl)' },
    { src: 'node', title: 'Node.js (the twin, node-trace.js)' },
  ].map((s) => ({ ...s, procs: model.procs.filter((p) => p.src === s.src) })).filter((s) => s.procs.length);
  let y = 0;
  const byIndex = new Map();   // mark index -> { mark, proc, lane, y }
  for (const side of sides) {
    side.y = y;
    side.t0 = Math.min(...side.procs.map((p) => p.t0));
    side.span = Math.max(...side.procs.map((p) => p.t1)) - side.t0;
    y += PANEL_H;
    for (const p of side.procs) {
      p.y = y;
      y += PROC_H;
      for (const l of p.lanes) {
        l.y = y;
        for (const m of l.marks) byIndex.set(m.i, { m, p, l, side });
        y += LANE_H;
      }
      p.y1 = y;
    }
    side.y1 = y;
    y += GAP;
  }
  const height = y;
  // Compressed time (the default): the gap between two consecutive records of a side
  // is drawn 1 + 12·ln(1 + gap/20 µs) wide instead of gap wide, so that 5 µs between two
  // callbacks and a 400 ms sleep in poll(2) both fit on one screen (in that order of
  // size) and every event keeps its own place. The axis still reads real time: each
  // tick is labelled with the real time at its place. Gaps over 1 ms, where every process
  // of the side waited, get a dashed line. The checkbox switches to linear real time.
  const GAP_US = 1000;
  let shorten = true;
  const warp = (d) => (d <= 0 ? 0 : 1 + 12 * Math.log1p(d / 20));
  for (const side of sides) {
    const ts = [...new Set(side.procs.flatMap((p) => [p.t0, p.t1, ...p.lanes.flatMap((l) => l.marks.map((m) => m.t)),
      ...p.phases.flatMap((f) => [f.t0, f.t1]), ...p.sleeps.flatMap((f) => [f.t0, f.t1])]))].sort((a, b) => a - b);
    side.real = [ts[0]];
    side.drawn = [0];
    side.gaps = [];
    for (let k = 1; k < ts.length; k++) {
      const d = ts[k] - ts[k - 1];
      side.real.push(ts[k]);
      side.drawn.push(side.drawn[k - 1] + warp(d));
      if (d > GAP_US) side.gaps.push({ t0: ts[k - 1], t1: ts[k] });
    }
  }
  // interpolate `v` from the sorted array `from` to `to`, piecewise linearly
  function lerp(from, to, v) {
    let lo = 0, hi = from.length - 1;
    if (hi <= 0 || v <= from[0]) return to[0] + (v - from[0]);
    if (v >= from[hi]) return to[hi] + (v - from[hi]);
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (from[mid] <= v) lo = mid; else hi = mid; }
    const f = (v - from[lo]) / (from[hi] - from[lo] || 1);
    return to[lo] + f * (to[hi] - to[lo]);
  }
  // a record's time -> the x scale's unit (ms of real time, or drawn units)
  function ms(side, t) { return shorten ? lerp(side.real, side.drawn, t) : (t - side.t0) / 1000; }
  // an axis value -> real ms from the side's start
  function realMs(side, v) { return shorten ? (lerp(side.drawn, side.real, v) - side.t0) / 1000 : v; }
  const fmtMs = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
  const spanOf = () => Math.max(1, ...sides.map((sd) => (shorten ? sd.drawn[sd.drawn.length - 1] : sd.span / 1000)));
  // Real time: one scale for both sides, so that durations compare. Compressed time: each
  // side spans the width (its drawn units are its own). Zoom and pan move both alike.
  function baseScales() {
    for (const side of sides) {
      const end = shorten ? side.drawn[side.drawn.length - 1] : spanOf();
      side.x0 = d3.scaleLinear().domain([0, Math.max(end, 0.001) * 1.02]).range([LEFT, width - RIGHT]);
      side.x = side.x0;
    }
  }
  baseScales();

  const svg = d3.select(chart).append('svg').attr('width', width).attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`).attr('id', 'timeline');
  const defs = svg.append('defs');
  defs.append('clipPath').attr('id', 'plot').append('rect')
    .attr('x', LEFT).attr('y', 0).attr('width', width - LEFT - RIGHT).attr('height', height);
  const hatch = defs.append('pattern').attr('id', 'hatch').attr('patternUnits', 'userSpaceOnUse')
    .attr('width', 6).attr('height', 6).attr('patternTransform', 'rotate(45)');
  hatch.append('rect').attr('width', 6).attr('height', 6).attr('fill', '#fff');
  hatch.append('line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6).attr('stroke', '#b8c4d6').attr('stroke-width', 2);

  const backs = svg.append('g').attr('class', 'backs');
  const plot = svg.append('g').attr('clip-path', 'url(#plot)');
  const labels = svg.append('g').attr('class', 'labels');
  const axes = [];

  for (const side of sides) {
    const head = backs.append('g').attr('class', `panel panel-${side.src}`).attr('data-src', side.src);
    head.append('rect').attr('class', 'panel-bg').attr('x', 0).attr('y', side.y).attr('width', width).attr('height', side.y1 - side.y);
    head.append('text').attr('class', 'panel-title').attr('x', 8).attr('y', side.y + 15).text(side.title);
    side.note = head.append('text').attr('class', 'panel-note').attr('x', 8).attr('y', side.y + 29);
    backs.append('g').attr('class', 'gaps').attr('data-src', side.src).selectAll('line.gap').data(side.gaps).join('line')
      .attr('class', 'gap').attr('y1', side.y + PANEL_H).attr('y2', side.y1);
    const axis = svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${side.y + PANEL_H - 2})`);
    axes.push(axis);
    for (const p of side.procs) {
      const g = plot.append('g').attr('class', 'proc').attr('data-src', side.src).attr('data-role', p.role);
      labels.append('text').attr('class', 'proc-label').attr('x', 8).attr('y', p.y + 15)
        .text(`${p.role} · pid ${p.pid} · ${p.file}`);
      // iterations: alternating bands over all the process's lanes
      g.selectAll('rect.iter').data(p.iterations).join('rect')
        .attr('class', (d) => `iter ${d.it % 2 ? 'odd' : 'even'}`).attr('y', p.y + PROC_H).attr('height', p.y1 - p.y - PROC_H)
        .append('title').text((d) => `iteration ${d.it}`);
      for (const l of p.lanes) {
        const lg = g.append('g').attr('class', `lane${l.only ? ' only' : ''}`)
          .attr('data-src', side.src).attr('data-role', p.role).attr('data-lane', l.key);
        lg.append('line').attr('class', 'lane-rule').attr('x1', LEFT).attr('x2', width).attr('y1', l.y + LANE_H).attr('y2', l.y + LANE_H);
        const diffLane = l.only && !['timers', 'queues', 'notes', 'pool'].includes(l.key);
        labels.append('text').attr('class', `lane-label${diffLane ? ' only' : ''}`).attr('x', 22).attr('y', l.y + 16).text(l.label);
        if (l.key === 'loop') {
          lg.selectAll('rect.phase').data(p.phases).join('rect')
            .attr('class', (d) => `phase phase-${d.phase}`).attr('y', l.y + 3).attr('height', LANE_H - 6)
            .append('title').text((d) => `${d.phase} phase, iteration ${d.it}: ${((d.t1 - d.t0) / 1000).toFixed(3)} ms`);
          lg.selectAll('rect.sleep').data(p.sleeps).join('rect').attr('class', 'sleep')
            .attr('y', l.y + 3).attr('height', LANE_H - 6)
            .append('title').text((d) => `poll slept ${((d.t1 - d.t0) / 1000).toFixed(3)} ms (iteration ${d.it})`);
          lg.selectAll('text.it-label').data(p.iterations).join('text').attr('class', 'it-label').attr('y', p.y + PROC_H - 4)
            .text((d) => d.it);
        }
        lg.selectAll('rect.bar').data(l.bars).join('rect').attr('class', 'bar').attr('y', l.y + 8).attr('height', LANE_H - 16)
          .append('title').text((d) => `${d.what}: ${((d.t1 - d.t0) / 1000).toFixed(3)} ms`);
        lg.selectAll('rect.work').data(l.bars.filter((b) => b.w0 !== undefined && b.w1 !== undefined)).join('rect')
          .attr('class', 'work').attr('y', l.y + 6).attr('height', LANE_H - 12);
        lg.selectAll('path.mark').data(l.marks).join('path')
          .attr('class', (d) => `mark ev-${d.rec.ev}${d.diff ? ` diff diff-${d.diff}` : ''}${d.match !== undefined ? ' matched' : ''}`)
          .attr('data-i', (d) => d.i).attr('data-ev', (d) => d.rec.ev)
          .attr('d', (d) => d3.symbol(symbolOf(d.rec), d.rec.ev === 'emit' ? 70 : d.rec.ev === 'note' ? 16 : 44)())
          .on('mouseenter', (ev, d) => hover(ev, d, true))
          .on('mousemove', (ev) => moveTip(ev))
          .on('mouseleave', (ev, d) => hover(ev, d, false))
          .on('click', (ev, d) => pin(d));
      }
    }
  }
  const linkLayer = plot.append('g').attr('class', 'links');
  const links = linkLayer.selectAll('line.link').data(model.links).join('line').attr('class', 'link');

  function symbolOf(r) {
    if (r.ev === 'emit') return d3.symbolCircle;
    if (r.ev === 'handle') return d3.symbolSquare;
    if (r.ev === 'poll') return d3.symbolTriangle;
    if (r.ev === 'pool') return d3.symbolDiamond;
    if (r.ev === 'timer') return d3.symbolWye;
    if (r.ev === 'start' || r.ev === 'exit') return d3.symbolStar;
    if (r.ev === 'note') return d3.symbolSquare;
    return d3.symbolCross;
  }

  // ---------------------------------------------------------------- drawing at a zoom
  function draw() {
    for (const side of sides) {
      const X = (t) => side.x(ms(side, t));
      const sel = plot.selectAll(`g.proc[data-src="${side.src}"]`);
      sel.selectAll('rect.iter').attr('x', (d) => X(d.t0)).attr('width', (d) => Math.max(1, X(d.t1) - X(d.t0)));
      sel.selectAll('rect.phase').attr('x', (d) => X(d.t0)).attr('width', (d) => Math.max(2, X(d.t1) - X(d.t0)));
      sel.selectAll('rect.sleep').attr('x', (d) => X(d.t0)).attr('width', (d) => Math.max(1, X(d.t1) - X(d.t0)));
      sel.selectAll('rect.bar').attr('x', (d) => X(d.t0)).attr('width', (d) => Math.max(2, X(d.t1) - X(d.t0)));
      sel.selectAll('rect.work').attr('x', (d) => X(d.w0)).attr('width', (d) => Math.max(2, X(d.w1) - X(d.w0)));
      sel.selectAll('text.it-label').attr('x', (d) => X(d.t0) + 2)
        .attr('display', (d) => (X(d.t1) - X(d.t0) > 14 ? null : 'none'));
      sel.selectAll('path.mark').attr('transform', (d) => {
        const info = byIndex.get(d.i);
        return `translate(${X(d.t)},${info.l.y + LANE_H / 2})`;
      });
    }
    links.attr('x1', (d) => posOf(d.kit)[0]).attr('y1', (d) => posOf(d.kit)[1])
      .attr('x2', (d) => posOf(d.node)[0]).attr('y2', (d) => posOf(d.node)[1]);
    backs.selectAll('line.gap').attr('x1', function (d) { const sd = sideOf(this); return sd.x(ms(sd, d.t1)); })
      .attr('x2', function (d) { const sd = sideOf(this); return sd.x(ms(sd, d.t1)); }).attr('display', shorten ? null : 'none');
    for (const side of sides) side.note.text(shorten ? 'compressed time axis' : 'real time axis');
    sides.forEach((side, k) => axes[k].call(d3.axisTop(side.x).ticks(Math.max(4, Math.floor(width / 110)))
      .tickFormat((v) => `${fmtMs(Math.max(0, realMs(side, v)))} ms`)));
  }
  function sideOf(el) { return sides.find((sd) => sd.src === el.parentNode.dataset.src); }
  function posOf(i) {
    const info = byIndex.get(i);
    return [info.side.x(ms(info.side, info.m.t)), info.l.y + LANE_H / 2];
  }

  const zoom = d3.zoom().scaleExtent([1, 200000])
    .translateExtent([[LEFT, 0], [width - RIGHT, height]]).extent([[LEFT, 0], [width - RIGHT, height]])
    .on('zoom', (ev) => { for (const side of sides) side.x = ev.transform.rescaleX(side.x0); draw(); });
  svg.call(zoom);
  document.getElementById('reset').addEventListener('click', () => svg.transition().duration(300).call(zoom.transform, d3.zoomIdentity));
  document.getElementById('shorten').addEventListener('change', (ev) => {
    shorten = ev.target.checked;
    baseScales();
    svg.call(zoom.transform, d3.zoomIdentity);
  });
  document.getElementById('links').addEventListener('change', (ev) => linkLayer.classed('all', ev.target.checked));

  // ---------------------------------------------------------------- details
  const tip = document.getElementById('tooltip');
  const details = document.getElementById('details');
  function describe(d) {
    const info = byIndex.get(d.i);
    const r = d.rec;
    const rel = ((r.t - info.side.t0) / 1000).toFixed(3);   // real time, whatever the axis
    let head = `${info.side.src} · ${info.p.role} · ${info.l.label} · ${rel} ms · iteration ${r.it ?? '?'}`;
    let what = '';
    if (r.ev === 'emit') what = `emit '${r.name}' on ${r.kind}#${r.id}, ${r.listeners} listener(s)${r.detail ? `, ${r.detail}` : ''}`;
    else if (r.ev === 'poll') what = `${r.syscall}(timeout ${r.timeout ?? '?'} ms) slept ${(r.slept_us / 1000).toFixed(3)} ms${r.estimated ? ' (Node: measured idle time, the call itself is not visible)' : ''}`;
    else if (r.ev === 'pool') what = `thread pool ${r.op} job ${r.job}${r.what ? ` (${r.what})` : ''}`;
    else if (r.ev === 'timer') what = `timer ${r.op} #${r.id}${r.ms !== undefined ? ` ${r.ms} ms` : ''}`;
    else if (r.ev === 'note') what = r.text;
    else if (r.ev === 'handle') what = `${r.kind}#${r.id} ${r.op}${r.fd !== undefined ? ` (fd ${r.fd})` : ''}`;
    else what = `${r.ev} ${r.op || ''}`;
    let partner = '';
    if (d.match !== undefined) {
      const o = byIndex.get(d.match);
      partner = `matched: ${o.side.src} at ${((o.m.t - o.side.t0) / 1000).toFixed(3)} ms, ${o.m.rec.listeners} listener(s)`;
    } else if (r.ev === 'emit') partner = 'no matching emit on the other side';
    if (d.diff === 'listeners') partner += ' — listener counts differ';
    return { head, what, partner, json: JSON.stringify(r) };
  }
  function fill(el, d) {
    const { head, what, partner, json } = describe(d);
    el.replaceChildren();
    for (const [cls, text] of [['head', head], ['what', what], ['partner', partner], ['json', json]]) {
      if (!text) continue;
      const div = document.createElement('div');
      div.className = cls;
      div.textContent = text;
      el.appendChild(div);
    }
  }
  function hover(ev, d, on) {
    if (on) { fill(tip, d); tip.hidden = false; moveTip(ev); } else tip.hidden = true;
    const related = new Set([d.i, d.match]);
    plot.selectAll('path.mark').classed('hot', (m) => on && related.has(m.i));
    links.classed('hot', (l) => on && (l.kit === d.i || l.node === d.i));
  }
  function moveTip(ev) {
    tip.style.left = `${Math.min(ev.pageX + 14, window.innerWidth - 380)}px`;
    tip.style.top = `${ev.pageY + 14}px`;
  }
  function pin(d) {
    fill(details, d);
    plot.selectAll('path.mark').classed('pinned', (m) => m.i === d.i || m.i === d.match);
  }

  // ---------------------------------------------------------------- legend, differences
  const legend = document.getElementById('legend');
  for (const ph of PHASES) {
    const s = document.createElement('span');
    s.className = `key phase-${ph}`;
    s.textContent = ph;
    legend.appendChild(s);
  }
  const sleepKey = document.createElement('span');
  sleepKey.className = 'key sleep';
  sleepKey.textContent = 'poll sleeps';
  legend.appendChild(sleepKey);
  const evKey = document.createElement('span');
  evKey.className = 'evkey';
  evKey.textContent = '● emit  ■ handle open/close  ▲ poll returns  ◆ thread pool  ✱ timer  ✚ tick/immediate  ★ start/exit  ▪ note  — red ring: differs from the other side';
  legend.appendChild(evKey);
  const list = document.getElementById('difflist');
  for (const d of model.diffs) {
    const li = document.createElement('li');
    li.textContent = d.text;
    list.appendChild(li);
  }
  if (model.diffs.length === 0) {
    const li = document.createElement('li');
    li.textContent = 'none: every emit has its match';
    list.appendChild(li);
  }
  draw();
  // A link can open the page on some iterations: #it=1 or #it=0-2 (the kit's, or the
  // only side's), #node-it=3 (Node's). make trace-shots uses it for lesson 00's close-up.
  function zoomToIterations() {
    const m = /^#(node-)?it=(\d+)(?:-(\d+))?$/.exec(location.hash);
    if (!m) return;
    const side = sides.find((sd) => sd.src === (m[1] ? 'node' : 'kit')) || sides[0];
    const first = Number(m[2]);
    const last = m[3] === undefined ? first : Number(m[3]);
    const its = side.procs.flatMap((p) => p.iterations).filter((d) => d.it >= first && d.it <= last);
    if (!its.length) return;
    const a = side.x0(ms(side, Math.min(...its.map((d) => d.t0))));
    const b = side.x0(ms(side, Math.max(...its.map((d) => d.t1))));
    const pad = (b - a) * 0.03 + 1;
    const k = Math.min(200000, (width - RIGHT - LEFT) / (b - a + 2 * pad));
    svg.call(zoom.transform, d3.zoomIdentity.translate(LEFT - k * (a - pad), 0).scale(k));
  }
  zoomToIterations();
  window.addEventListener('hashchange', zoomToIterations);
  document.body.dataset.lanes = String(document.querySelectorAll('g.lane').length);
  document.body.dataset.events = String(document.querySelectorAll('path.mark').length);
  document.body.dataset.ready = '1';
})();
