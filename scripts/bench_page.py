"""How long a phone waits for the published page: page ready and first answer, in Debian's Chromium, CPU throttled and on a
slow mobile network (Chrome DevTools Protocol), before (float32, files sent as they are) and after (the precision
`primer publish` chooses, precompressed copies sent). A benchmark, not a test: it prints figures.

    python scripts/bench_page.py --model models/classifier.pkl --data data [--image photo.jpg] [--cpu 4] [--mbps 1.6]
"""
import argparse, contextlib, functools, http.server, json, sys, tempfile, threading, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'tests'))
from playwright.sync_api import sync_playwright

TYPES = {'.wasm': 'application/wasm', '.mjs': 'text/javascript', '.js': 'text/javascript', '.onnx': 'application/octet-stream'}

def handler(folder, precompressed):
    "A static file handler for `folder` that sends a file's .br or .gz copy when the browser accepts it and `precompressed`"
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_GET(self):
            name = self.path.split('?')[0].lstrip('/') or 'index.html'
            path, accepts = Path(folder)/name, self.headers.get('Accept-Encoding', '')
            if not path.is_file(): return self.send_error(404)
            for encoding, suffix in (('br', '.br'), ('gzip', '.gz')):
                if precompressed and encoding in accepts and path.with_name(path.name + suffix).is_file():
                    data, sent = path.with_name(path.name + suffix).read_bytes(), encoding; break
            else: data, sent = path.read_bytes(), None
            self.send_response(200)
            self.send_header('Content-Type', TYPES.get(path.suffix) or self.guess_type(str(path)))
            if sent: self.send_header('Content-Encoding', sent)
            self.send_header('Content-Length', str(len(data))); self.end_headers(); self.wfile.write(data)
    return Handler

@contextlib.contextmanager
def serve(folder, precompressed):
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler(folder, precompressed))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    finally: httpd.shutdown()

def measure(browser, url, image, cpu, mbps, latency_ms):
    "(seconds to page ready, seconds to the first answer after choosing the image, megabytes over the wire)"
    context = browser.new_context(); page = context.new_page(); cdp = context.new_cdp_session(page)
    received = []
    cdp.on('Network.loadingFinished', lambda e: received.append(e['encodedDataLength']))
    cdp.send('Network.enable'); cdp.send('Network.setCacheDisabled', {'cacheDisabled': True})
    if mbps: cdp.send('Network.emulateNetworkConditions', {'offline': False, 'latency': latency_ms,
                      'downloadThroughput': mbps * 1e6 / 8, 'uploadThroughput': mbps * 1e6 / 16})
    cdp.send('Emulation.setCPUThrottlingRate', {'rate': cpu})
    start = time.monotonic()
    page.goto(url, timeout=900_000)
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Choose or drop')", timeout=900_000, polling=100)
    ready = time.monotonic() - start
    start = time.monotonic()
    page.set_input_files('#file', str(image))
    page.wait_for_function("document.getElementById('answer').dataset.result || document.getElementById('answer').dataset.error", timeout=300_000, polling=50)
    answer = time.monotonic() - start
    context.close()
    return ready, answer, sum(received) / 1e6

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', required=True); p.add_argument('--data', help='its training data, for choosing the precision')
    p.add_argument('--image', help='the photo to classify (default: a photo-like scene)')
    p.add_argument('--cpu', type=float, default=4, help='CPU slowdown (Emulation.setCPUThrottlingRate)')
    p.add_argument('--mbps', type=float, default=1.6, help='download megabits a second (0: no throttling); upload is half')
    p.add_argument('--latency', type=float, default=150, help='round-trip milliseconds added to each request')
    args = p.parse_args(argv)
    from primer_lib.publish import publish
    from primer_lib.settings import workshop_settings
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp); image = Path(args.image) if args.image else tmp/'photo.jpg'
        if not args.image:
            import numpy as np
            from photo_like import photo_like
            photo_like('apples', np.random.default_rng(7)).save(image, quality=95)
        cfg = workshop_settings(model_path=args.model, data_dir=args.data)
        before = publish(cfg.model_path, tmp/'before', cfg=cfg, precision='float32')
        after = publish(cfg.model_path, tmp/'after', cfg=cfg)
        print(f"after: {after['why']}")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path='/usr/bin/chromium', args=['--no-sandbox'])
            for name, folder, precompressed, summary in (('before', tmp/'before', False, before), ('after', tmp/'after', True, after)):
                with serve(folder, precompressed) as url:
                    for cpu, mbps in ((1, 0), (args.cpu, args.mbps)):
                        ready, answer, mb = measure(browser, url, image, cpu, mbps, args.latency if mbps else 0)
                        print(json.dumps(dict(page=name, precision=summary['precision'], precompressed=precompressed, cpu_slowdown=cpu,
                                              network=f'{mbps} Mbit/s, {args.latency:.0f} ms' if mbps else 'loopback',
                                              transfer_mb=round(mb, 2), page_ready_s=round(ready, 2), first_answer_s=round(answer, 2))))
            browser.close()

if __name__ == '__main__': main()
