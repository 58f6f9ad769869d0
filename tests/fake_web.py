"A loopback web server that answers like the Openverse API and serves every kind of file a web download brings back."
import io, json, math, re, struct, threading, time, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs, unquote
import numpy as np
from PIL import Image

def as_bytes(img, fmt, **kw):
    buf = io.BytesIO(); img.save(buf, format=fmt, **kw); return buf.getvalue()

def photo(seed, size=(200, 150)):
    "A noisy RGB picture, different for each seed"
    return Image.fromarray(np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))

def _chunk(kind, data): return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))

def png_bomb(side=100_000):
    "A valid PNG header claiming `side` x `side` pixels, with almost no data"
    header = struct.pack('>IIBBBBB', side, side, 8, 0, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', header) + _chunk(b'IDAT', zlib.compress(b'\0' * 100)) + _chunk(b'IEND', b'')

def rotated_jpeg():
    "A landscape JPEG, red on its left half, whose EXIF says: turn 90 degrees clockwise to view"
    wide = Image.new('RGB', (120, 60), 'white'); wide.paste((255, 0, 0), (0, 0, 60, 60))
    exif = Image.Exif(); exif[0x0112] = 6
    return as_bytes(wide, 'JPEG', exif=exif)

def _palette_png():
    img = Image.new('P', (64, 64), 0); img.putpalette([255, 0, 0, 0, 0, 255]); img.paste(1, (0, 0, 32, 64))
    return as_bytes(img, 'PNG', transparency=0)

def _animated_gif():
    frames = [photo(10 + i, (64, 64)).convert('P') for i in range(3)]
    return as_bytes(frames[0], 'GIF', save_all=True, append_images=frames[1:], duration=100, loop=0)

GOOD = as_bytes(photo(1), 'JPEG')
# name -> (status, content type, body); the names that must be kept are in KEPT, the rest in REJECTED by reason
FILES = {
    'good.jpg': (200, 'image/jpeg', GOOD),
    'good.png': (200, 'image/png', as_bytes(photo(2), 'PNG')),
    'good.webp': (200, 'image/webp', as_bytes(photo(3), 'WEBP')),
    'copy.jpg': (200, 'image/jpeg', GOOD),
    'palette.png': (200, 'image/png', _palette_png()),
    'cmyk.jpg': (200, 'image/jpeg', as_bytes(photo(4).convert('CMYK'), 'JPEG')),
    'deep.png': (200, 'image/png', as_bytes(Image.fromarray((np.arange(64 * 64, dtype=np.uint16) * 16).reshape(64, 64)), 'PNG')),
    'animated.gif': (200, 'image/gif', _animated_gif()),
    'rotated.jpg': (200, 'image/jpeg', rotated_jpeg()),
    'busy.jpg': (200, 'image/jpeg', as_bytes(photo(5), 'JPEG')),
    'page.jpg': (200, 'image/jpeg', b'<!doctype html><html><body>Access denied</body></html>'),
    'truncated.jpg': (200, 'image/jpeg', as_bytes(photo(6, (400, 300)), 'JPEG')[:3000]),
    'empty.jpg': (200, 'image/jpeg', b''),
    'tiny.png': (200, 'image/png', as_bytes(Image.new('RGB', (1, 1), 'red'), 'PNG')),
    'bomb.png': (200, 'image/png', png_bomb()),
    'missing.jpg': (404, 'text/html', b'not found'),
    'stall.jpg': (200, 'image/jpeg', GOOD),
}
KEPT = ['good.jpg', 'good.png', 'good.webp', 'palette.png', 'cmyk.jpg', 'deep.png', 'animated.gif', 'rotated.jpg', 'busy.jpg']
REJECTED = {'not an image': 2, 'truncated': 1, 'too small': 1, 'too large': 1, 'HTTP 404': 1, 'timeout': 1}
STALL_SECONDS = 4
TRICKLE_SECONDS = 0.05  # between two bytes of /img/trickle.jpg
# More routes, outside FILES: photo-<n>...jpg is photo(n) as JPEG (any name after the number: spaces, accents);
# trickle.jpg sends GOOD a byte at a time; moved-to-<name> redirects to <name> (on 127.0.0.1); wait.jpg always answers 429 with Retry-After: 5

class FakeWeb:
    """The server: `base` is its address; `hits` lists (time, path) of every request; `queries` maps a query to image names.
    `limits`: (requests, seconds) pairs, as Openverse's throttles: a search beyond them answers 429, with a Retry-After of
    the seconds until it would be served when `retry_after` (else none); `searches` lists (time, query, status, token)"""
    def __init__(self, queries=None, limits=(), retry_after=True):
        self.queries, self.limits, self.retry_after = queries or {}, limits, retry_after
        self.hits, self.lock, self.searches, self.served = [], threading.Lock(), [], []
        self.server = ThreadingHTTPServer(('127.0.0.1', 0), self._handler())
        self.server.daemon_threads = True
        self.base = f'http://127.0.0.1:{self.server.server_port}'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self): self.server.shutdown(); self.server.server_close()
    def refused(self): return [s for s in self.searches if s[2] == 429]
    def asked_for(self, query): return [s for s in self.searches if s[1] == query and s[2] == 200]

    def throttle(self, query, token):
        "None when a search may be served now (it is counted), else the seconds until it could be; noted in `searches`"
        with self.lock:
            now = time.monotonic()
            waits = [sorted(t for t in self.served if t > now - secs)[-n] + secs - now for n, secs in self.limits
                     if len([t for t in self.served if t > now - secs]) >= n]
            if not waits: self.served.append(now)
            self.searches.append((now, query, 429 if waits else 200, token))
            return max(waits) if waits else None
    def hits_of(self, path): return [t for t, p in self.hits if p == path]
    def url(self, name): return name if '://' in name else f'{self.base}/img/{name}'

    def results(self, query):
        "Openverse-like records for the images listed for `query`"
        return [dict(id=str(i), title=f'{query} {name}', url=self.url(name), creator=f'creator {i}', license='by-sa',
                     license_version='2.0', foreign_landing_url=f'{self.base}/page/{name}') for i, name in enumerate(self.queries.get(query, []))]

    def _handler(self):
        web = self
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                url = urlparse(self.path)
                with web.lock: web.hits.append((time.monotonic(), url.path)); n = len(web.hits_of(url.path))
                if url.path == '/v1/images/': return self.search(parse_qs(url.query))
                name = unquote(url.path.removeprefix('/img/'))
                if name == 'busy.jpg' and n == 1: return self.send(429, 'text/plain', b'slow down', {'Retry-After': '1'})
                if name == 'wait.jpg': return self.send(429, 'text/plain', b'come back later', {'Retry-After': '5'})
                if name == 'trickle.jpg': return self.trickle(GOOD)
                if name.startswith('moved-to-'): return self.send(302, 'text/plain', b'', {'Location': f"/img/{name.removeprefix('moved-to-')}"})
                if seed := re.match(r'photo-(\d+)', name): return self.send(200, 'image/jpeg', as_bytes(photo(int(seed[1])), 'JPEG'))
                if name.startswith('stall'): time.sleep(STALL_SECONDS); name = 'stall.jpg'
                self.send(*FILES.get(name, (404, 'text/plain', b'no such file')))
            def search(self, q):
                token = self.headers.get('Authorization', '').removeprefix('Bearer ') or None
                if (wait := web.throttle(q['q'][0], token)) is not None:
                    headers = {'Retry-After': str(math.ceil(wait))} if web.retry_after else {}
                    return self.send(429, 'application/json', b'{"detail": "Request was throttled."}', headers)
                results, size, page = web.results(q['q'][0]), int(q['page_size'][0]), int(q['page'][0])
                if size > 20 and 'Authorization' not in self.headers: return self.send(401, 'application/json', b'{"detail": "page_size"}')
                body = dict(result_count=len(results), page_count=-(-len(results) // size), page_size=size, page=page,
                            results=results[(page - 1) * size:page * size])
                self.send(200, 'application/json', json.dumps(body).encode())
            def trickle(self, body):
                "Send `body` one byte every TRICKLE_SECONDS, as a host on a bad line does"
                self.send_response(200); self.send_header('Content-Type', 'image/jpeg'); self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                try:
                    for i in range(len(body)): self.wfile.write(body[i:i + 1]); time.sleep(TRICKLE_SECONDS)
                except (BrokenPipeError, ConnectionResetError): pass
            def send(self, status, kind, body, headers={}):
                self.send_response(status)
                self.send_header('Content-Type', kind); self.send_header('Content-Length', str(len(body)))
                for k, v in headers.items(): self.send_header(k, v)
                self.end_headers()
                try: self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError): pass
        return Handler
