'use strict';
// Everything the page does: read the description (model.json), prepare an image as the Learner does for validation,
// run the model with ONNX Runtime Web on the CPU, and show the answer. No build step, no network beyond this folder.
const $ = id => document.getElementById(id);
function el(tag, text, props = {}) { const e = Object.assign(document.createElement(tag), props); if (text != null) e.textContent = text; return e; }
const pct = p => `${Math.round(p * 100)}%`;

// Pillow's resampling filters (Resample.c), by Pillow's number: [support, weight at distance x]
const sinc = x => { if (x === 0) return 1; x *= Math.PI; return Math.sin(x) / x; };
const FILTERS = {
  1: [3, x => (-3 <= x && x < 3) ? sinc(x) * sinc(x / 3) : 0],  // LANCZOS
  2: [1, x => { x = Math.abs(x); return x < 1 ? 1 - x : 0; }],  // BILINEAR
  3: [2, x => { const a = -0.5; x = Math.abs(x);  // BICUBIC
       if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
       return x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0; }],
  4: [0.5, x => (x > -0.5 && x <= 0.5) ? 1 : 0],  // BOX
  5: [1, x => { x = Math.abs(x); if (x === 0) return 1; if (x >= 1) return 0;  // HAMMING
       x *= Math.PI; return Math.sin(x) / x * (Math.fround(0.54) + Math.fround(0.46) * Math.cos(x)); }],  // float constants, as in C
};
const PRECISION_BITS = 22, ONE = 2 ** PRECISION_BITS;

// For each output pixel: the first input pixel, how many, and their fixed-point weights (precompute_coeffs + normalize_coeffs_8bpc)
function coefficients(inSize, outSize, [support0, filter]) {
  const scale = inSize / outSize, filterscale = Math.max(scale, 1), support = support0 * filterscale, ss = 1 / filterscale;
  const ksize = Math.ceil(support) * 2 + 1, bounds = new Int32Array(outSize * 2), kk = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale, xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin, k = [];
    let ww = 0;
    for (let x = 0; x < count; x++) { const w = filter((x + xmin - center + 0.5) * ss); k.push(w); ww += w; }
    for (let x = 0; x < count; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      kk[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin; bounds[xx * 2 + 1] = count;
  }
  return {bounds, kk, ksize};
}

// One pass of Pillow's two-pass resize of an RGB image, along x (horizontal) or y, with 8-bit rounding as Pillow does
function resamplePass({data, width: w, height: h}, outSize, filter, horizontal) {
  const {bounds, kk, ksize} = coefficients(horizontal ? w : h, outSize, filter);
  const ow = horizontal ? outSize : w, oh = horizontal ? h : outSize, out = new Uint8Array(ow * oh * 3);
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
    const i = horizontal ? x : y, min = bounds[i * 2], count = bounds[i * 2 + 1];
    for (let c = 0; c < 3; c++) {
      let s = ONE / 2;
      for (let j = 0; j < count; j++) {
        const src = horizontal ? (y * w + min + j) : ((min + j) * w + x);
        s += data[src * 3 + c] * kk[i * ksize + j];
      }
      out[(y * ow + x) * 3 + c] = s >= ONE * 256 ? 255 : s <= 0 ? 0 : Math.floor(s / ONE);
    }
  }
  return {data: out, width: ow, height: oh};
}

// Pillow's NEAREST resize (ImagingScaleAffine): the pixel under each output pixel's centre
function nearestResize({data, width: w, height: h}, ow, oh) {
  const out = new Uint8Array(ow * oh * 3), ax = w / ow, ay = h / oh, xs = [];
  for (let x = 0, xo = ax * 0.5; x < ow; x++, xo += ax) xs.push(Math.trunc(xo));
  for (let y = 0, yo = ay * 0.5; y < oh; y++, yo += ay) {
    const sy = Math.trunc(yo);
    for (let x = 0; x < ow; x++) for (let c = 0; c < 3; c++) out[(y * ow + x) * 3 + c] = data[(sy * w + xs[x]) * 3 + c];
  }
  return {data: out, width: ow, height: oh};
}

// Pillow's Image.resize of an RGB image: each axis resampled only when its size changes
function pillowResize(img, ow, oh, resample) {
  if (img.width === ow && img.height === oh) return img;
  if (resample === 0) return nearestResize(img, ow, oh);
  const filter = FILTERS[resample];
  if (!filter) throw new Error(`Pillow's resampling filter ${resample} is not one this page knows.`);
  if (img.width !== ow) img = resamplePass(img, ow, filter, true);
  if (img.height !== oh) img = resamplePass(img, oh, filter, false);
  return img;
}

// Where a padded pixel comes from: fastai's pad modes as torchvision pads a PIL image (constant 0, edge, reflect)
function padIndex(i, n, mode) {
  if (i >= 0 && i < n) return i;
  if (mode === 'zeros') return -1;
  if (mode === 'border') return Math.min(Math.max(i, 0), n - 1);
  if (n === 1) return 0;
  const period = 2 * (n - 1), r = ((i % period) + period) % period;
  return r < n ? r : period - r;
}

// fastai's Resize for validation (centred): crop or pad the image to the output's shape, then Pillow's resize
function fastaiResize(img, {size: [sw, sh], method, pad_mode, resamples}) {
  const {width: w, height: h} = img;
  let sz = [w, h], tl = [0, 0];
  if (method !== 'squish') {
    const rw = w / sw, rh = h / sh, m = method === 'pad' ? (rw > rh ? rw : rh) : (rw < rh ? rw : rh);
    sz = [Math.trunc(m * sw), Math.trunc(m * sh)];
    tl = [Math.trunc(0.5 * (w - sz[0])), Math.trunc(0.5 * (h - sz[1]))];
  }
  // _do_crop_pad: crop to the part inside the image, then pad what lies outside it
  const c = [Math.max(tl[0], 0), Math.max(tl[1], 0)], n = [Math.min(tl[0] + sz[0], w) - c[0], Math.min(tl[1] + sz[1], h) - c[1]];
  const p = [Math.max(-tl[0], 0), Math.max(-tl[1], 0)], out = new Uint8Array(sz[0] * sz[1] * 3);
  const xs = Array.from({length: sz[0]}, (_, u) => padIndex(u - p[0], n[0], pad_mode));
  for (let v = 0; v < sz[1]; v++) {
    const y = padIndex(v - p[1], n[1], pad_mode);
    for (let u = 0; u < sz[0]; u++) {
      if (y < 0 || xs[u] < 0) continue;  // zeros
      const src = ((c[1] + y) * w + c[0] + xs[u]) * 3, dst = (v * sz[0] + u) * 3;
      out[dst] = img.data[src]; out[dst + 1] = img.data[src + 1]; out[dst + 2] = img.data[src + 2];
    }
  }
  return pillowResize({data: out, width: sz[0], height: sz[1]}, sw, sh, resamples[0]);
}

// The image as the Learner prepares it for validation: resize, divide, normalise; channels first, as the model wants
function preprocess(img, prep) {
  const {data, width, height} = fastaiResize(img, prep.resize), x = new Float32Array(3 * width * height), plane = width * height;
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++)
    x[c * plane + i] = (Math.fround(data[i * 3 + c] / prep.div) - prep.mean[c]) / prep.std[c];
  return new ort.Tensor('float32', x, [1, 3, height, width]);
}

// The file as an upright RGB image, transparent parts on white (as primer predict opens it); messages for what can't be
async function decode(file, page) {
  if (file.size > page.max_upload_mb * 1e6)
    throw new Error(`${file.name} is ${(file.size / 1e6).toFixed(1)} MB; the limit is ${page.max_upload_mb} MB. Use a smaller image.`);
  let bitmap;
  try { bitmap = await createImageBitmap(file, {imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none'}); }
  catch (e) { throw new Error(`${file.name}: ${page.messages.not_an_image}`); }
  const {width, height} = bitmap;
  if (width * height > page.max_pixels) { bitmap.close();
    throw new Error(`${file.name} has too many pixels to open safely (${width} x ${height}; the limit is ${page.max_pixels / 1e6} million): use a smaller image.`); }
  const canvas = Object.assign(document.createElement('canvas'), {width, height}), ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, width, height); ctx.drawImage(bitmap, 0, 0); bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data, data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) { data[j] = rgba[i]; data[j + 1] = rgba[i + 1]; data[j + 2] = rgba[i + 2]; }
  return {data, width, height};
}

// A camera frame as an RGB image, as decode gives a file
function frameOf(video) {
  const {videoWidth: width, videoHeight: height} = video;
  const canvas = Object.assign(document.createElement('canvas'), {width, height}), ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(video, 0, 0, width, height);
  const rgba = ctx.getImageData(0, 0, width, height).data, data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) { data[j] = rgba[i]; data[j + 1] = rgba[i + 1]; data[j + 2] = rgba[i + 2]; }
  return {data, width, height};
}

// The label, its probability and every label's, as primer predict gives them
async function classify(session, page, file) { return classifyImage(session, page, await decode(file, page)); }

async function classifyImage(session, page, img) {
  const input = preprocess(img, page.preprocessing);
  const output = await session.run({[session.inputNames[0]]: input});
  const probs = Array.from(output[session.outputNames[0]].data), best = probs.indexOf(Math.max(...probs));
  const result = {label: page.labels[best], probability: probs[best], probabilities: Object.fromEntries(page.labels.map((l, i) => [l, probs[i]]))};
  // how like the training images it is (familiarity.js), as primer predict says it: only for models exported with the facts
  const known = output.features && page.familiarity ? familiarity(output.features.data, page.familiarity) : null;
  if (known) Object.assign(result, {familiarity: known.familiarity, unfamiliar: known.unfamiliar});
  return result;
}

// The answer: the label and its probability (or "not sure" and the top two), then a bar for each of the top few
function showAnswer(result, page) {
  const ranked = Object.entries(result.probabilities).sort((a, b) => b[1] - a[1]), shown = ranked.slice(0, page.max_bars);
  const head = result.probability >= page.unsure_below ? `${result.label} (${pct(result.probability)})`
    : `Not sure: maybe ${ranked.slice(0, 2).map(([l, p]) => `${l} (${pct(p)})`).join(' or ')}`;
  const answer = $('answer'); answer.replaceChildren(el('h2', head));
  if (result.unfamiliar) answer.prepend(el('p', page.familiarity.message, {className: 'unfamiliar'}));  // above the answer, which still shows
  for (const [label, p] of shown) {
    const row = el('div', null, {className: 'bar'});
    row.append(el('span', label, {className: 'label'}), el('progress', null, {value: p, max: 1}), el('span', pct(p), {className: 'pct'}));
    answer.append(row);
  }
  if (ranked.length > shown.length) answer.append(el('p', `and ${ranked.length - shown.length} more`));
  answer.dataset.result = JSON.stringify(result);
}

function showLabels(page) {
  const box = $('labels'), n = page.labels.length;
  if (n <= page.max_bars) { box.textContent = `This model tells apart: ${page.labels.join(', ')}.`; return; }
  const details = el('details'), list = el('ul');
  for (const l of page.labels) list.append(el('li', l));
  details.append(el('summary', `This model tells apart ${n} labels`), list);
  box.replaceChildren(details);
}

function say(text, isError = false) { const s = $('status'); s.textContent = text; s.className = isError ? 'error' : ''; }

// Live mode: the camera's frames classified a few times a second, until switched off, the page hidden, or the camera gone
const HIDDEN = 'Live mode stopped while the page was hidden: press Live camera to start it again.';
function liveMode(session, page, hint) {
  const video = $('video'), button = $('live'), EVERY_MS = 300, NO_FRAMES_MS = 5000;
  let stream = null, timer = null, busy = false, starting = false;
  function stop(message, isError = false) {
    clearInterval(timer); timer = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null; video.srcObject = null; video.hidden = true;
    button.setAttribute('aria-pressed', 'false'); button.textContent = 'Live camera';
    $('answer').setAttribute('aria-live', 'polite');
    say(message || hint, isError);
  }
  async function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
      return say('Live mode needs a camera this browser lets the page use (and a page served over https): choose or drop an image instead.', true);
    if (starting) return;  // a second press while the browser is still asking for the camera
    starting = true; $('answer').dataset.frames = 0;
    say('Starting the camera…');
    try { stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: 'environment'}, audio: false}); }
    catch (e) {
      stream = null;
      const why = e.name === 'NotAllowedError' ? 'permission to use the camera was refused'
        : e.name === 'NotFoundError' ? 'no camera was found' : `the camera could not start (${e.name})`;
      return say(`Live mode is off: ${why}. Choose or drop an image instead.`, true);
    }
    finally { starting = false; }
    if (document.hidden) return stop(HIDDEN);  // the page was hidden while the camera was starting
    for (const track of stream.getVideoTracks())
      track.addEventListener('ended', () => stop('Live mode stopped: the camera was switched off or its permission taken back. Choose or drop an image instead.', true));
    video.srcObject = stream; video.hidden = false; $('figure').hidden = true;
    video.play().catch(() => {});
    button.setAttribute('aria-pressed', 'true'); button.textContent = 'Stop the camera';
    $('answer').setAttribute('aria-live', 'off');  // a new answer every few hundred milliseconds would drown a screen reader
    say('Live: point the camera at something.');
    const started = performance.now(); let frames = 0;
    timer = setInterval(async () => {
      if (busy || !stream) return;
      if (!video.videoWidth || video.readyState < 2) {
        if (performance.now() - started > NO_FRAMES_MS) stop('Live mode stopped: the camera sends no pictures. Choose or drop an image instead.', true);
        return;
      }
      busy = true;
      try {
        const result = await classifyImage(session, page, frameOf(video));
        if (stream) { showAnswer(result, page); $('answer').dataset.frames = ++frames; }
      } catch (e) { stop(`Live mode stopped: ${e.message}`, true); }
      finally { busy = false; }
    }, EVERY_MS);
  }
  return {start, stop, get running() { return stream !== null; }, get starting() { return starting; }};
}

async function start() {
  const page = await (await fetch('model.json')).json();
  showLabels(page);
  ort.env.wasm.numThreads = 1;  // one thread needs no cross-origin isolation headers, so any static host will do
  ort.env.wasm.wasmPaths = new URL('.', location.href).href;  // the runtime's files in this folder, never a CDN
  const session = await ort.InferenceSession.create('model.onnx', {executionProviders: ['wasm']});
  const hint = `Choose or drop an image (JPEG, PNG, GIF or WebP, up to ${page.max_upload_mb} MB).`;
  async function handle(file) {
    if (!file) return;
    $('answer').replaceChildren(); delete $('answer').dataset.result; delete $('answer').dataset.error;
    $('picture').src = URL.createObjectURL(file); $('picture').alt = file.name; $('filename').textContent = file.name; $('figure').hidden = false;
    say(`Classifying ${file.name}…`);
    try { showAnswer(await classify(session, page, file), page); say(hint); }
    catch (e) { $('figure').hidden = true; say(e.message, true); $('answer').dataset.error = e.message; }
  }
  const live = liveMode(session, page, hint);
  async function handleFile(file) { if (live.running) live.stop(); await handle(file); }
  for (const id of ['file', 'camera']) $(id).addEventListener('change', e => handleFile(e.target.files[0]));
  $('live').addEventListener('click', () => live.running ? live.stop('Live mode is off.') : live.start());
  document.addEventListener('visibilitychange', () => { if (document.hidden && live.running) live.stop(HIDDEN); });
  const drop = $('drop');
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); handleFile(e.dataTransfer.files[0]); });
  for (const id of ['file', 'camera', 'live']) $(id).disabled = false;
  say(hint);
  return {session, page, handle, live};
}

window.primer = {preprocess, decode, fastaiResize, classify, ready: start().catch(e => {
  say(`The model could not be loaded (${e.message || e}). Open this page from a web server (for example, python -m http.server in its folder), not as a file.`, true);
  throw e;
})};
