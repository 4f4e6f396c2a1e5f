"""The page `edgedigit serve` gives at /: the live view (drag on it to set the region), the reading, its
confidence and the camera's fps, polled from the HTTP API, and a picture field that sends a file (on a phone, a
photo just taken) to POST /api/read and shows what was read. Plain HTML and JavaScript, no dependencies.
"""

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>edgedigit</title></head>
<body style="font-family: sans-serif"><h1>edgedigit</h1>
<p>Reading: <span id="number" style="font-size: 3em">-</span> <span id="confidence"></span>
 <span id="fps"></span></p>
<p id="status">waiting for the camera</p>
<p>Read a picture: <input id="picture" type="file" accept="image/*" capture="environment">
 <span id="picked"></span></p>
<p>Region: <span id="roi">whole frame</span> <button id="clear">read the whole frame</button>
 <span id="saved"></span></p>
<div id="view" style="position: relative; display: inline-block; cursor: crosshair">
<img id="live" src="/stream.mjpg" alt="live view (with --camera)" draggable="false" style="max-width: 100%">
<div id="box" style="position: absolute; border: 2px dashed #f80; display: none; pointer-events: none"></div>
</div>
<p>Drag on the picture to choose where the digits are; the camera reads only there.</p>
<script>
const $ = (id) => document.getElementById(id);
async function poll() {
  try {
    const r = await fetch('/api/reading');
    const e = await r.json();
    $('status').textContent = r.ok ? 'frame ' + e.frame + ', ' + e.timestamp : e.error;
    if (r.ok) {
      $('number').textContent = e.event === 'cleared' ? '-' : e.number;
      $('confidence').textContent = e.confidence ? '(confidence ' + e.confidence + ')' : '';
      $('fps').textContent = e.fps ? e.fps + ' frames/s' : '';
    }
  } catch (err) { $('status').textContent = 'no connection'; }
}
function showRoi(body) {
  $('roi').textContent = body.roi ? body.roi.join(', ') + ' (x, y, w, h px)' : 'whole frame';
  $('saved').textContent = body.saved ? 'saved to ' + body.saved : (body.error || '');
}
async function setRoi(roi) {
  const r = await fetch('/api/roi', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                     body: JSON.stringify({roi: roi})});
  showRoi(await r.json());
}
let start = null;
function framePoint(ev) {  // a pointer position in the camera frame's pixels
  const img = $('live'), r = img.getBoundingClientRect();
  const sx = img.naturalWidth / r.width, sy = img.naturalHeight / r.height;
  return {x: Math.max(0, (ev.clientX - r.left) * sx), y: Math.max(0, (ev.clientY - r.top) * sy),
          px: ev.clientX - r.left, py: ev.clientY - r.top};
}
$('view').addEventListener('pointerdown', (ev) => { start = framePoint(ev); ev.preventDefault(); });
$('view').addEventListener('pointermove', (ev) => {
  if (!start) return;
  const p = framePoint(ev), box = $('box');
  Object.assign(box.style, {display: 'block', left: Math.min(start.px, p.px) + 'px',
    top: Math.min(start.py, p.py) + 'px', width: Math.abs(p.px - start.px) + 'px',
    height: Math.abs(p.py - start.py) + 'px'});
});
$('view').addEventListener('pointerup', (ev) => {
  if (!start) return;
  const p = framePoint(ev), s = start;
  start = null;
  $('box').style.display = 'none';
  const w = Math.round(Math.abs(p.x - s.x)), h = Math.round(Math.abs(p.y - s.y));
  if (w > 4 && h > 4) setRoi([Math.round(Math.min(s.x, p.x)), Math.round(Math.min(s.y, p.y)), w, h]);
});
$('clear').addEventListener('click', () => setRoi(null));
$('picture').addEventListener('change', async () => {
  const file = $('picture').files[0];
  if (!file) return;
  $('picked').textContent = 'reading ' + file.name;
  try {
    const r = await fetch('/api/read', {method: 'POST', body: file,
                                        headers: {'Content-Type': file.type || 'application/octet-stream'}});
    const e = await r.json();
    const sure = e.numbers && e.numbers.length ? ' (confidence ' + e.numbers[0].confidence + ')' : '';
    $('picked').textContent = !r.ok ? e.error : e.number === null ? 'no digit' : e.number + sure;
  } catch (err) { $('picked').textContent = 'no connection'; }
});
fetch('/api/roi').then((r) => r.json()).then(showRoi);
setInterval(poll, 1000); poll();
</script></body></html>
"""
