"""How many people can use the app at once? N browser sessions, each uploading images, against one `primer app`.

    .venv/bin/python scripts/load_app.py --sessions 1 2 4 8 --uploads 5 [--model models/classifier.pkl]

Prints one JSON line per session count: p50/p95 seconds from upload to label, page-load seconds, and the memory of
the kernels (one per open page). Needs Debian's Chromium (`make browser`) and a trained model (`primer train`).
"""
import argparse, asyncio, json, os, socket, statistics, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import psutil
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
PRIMER = str(Path(sys.executable).parent/'primer')

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def serve(model, port, preheat=0):
    "Start `primer app` and wait until it answers"
    server = subprocess.Popen([PRIMER, 'app', '--port', str(port), '--preheat', str(preheat), *(['--model', model] if model else [])], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try: urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=120); return server
        except OSError: time.sleep(0.5)
    server.kill(); raise TimeoutError('primer app did not start')

def kernel_memory_mb(server):
    "Resident memory of each kernel process under the server, in MB, by process id"
    return {p.pid: p.memory_info().rss / 2**20 for p in psutil.Process(server.pid).children(recursive=True) if 'ipykernel' in ' '.join(p.cmdline())}

async def session(browser, url, images, timings):
    "One user: open the page, then upload each image and wait for its label"
    page = await (await browser.new_context()).new_page()
    start = time.monotonic()
    await page.goto(url, timeout=300_000)
    await page.get_by_text('This model tells apart').wait_for(timeout=300_000)
    timings['load'].append(time.monotonic() - start)
    for i, image in enumerate(images):
        start = time.monotonic()
        async with page.expect_file_chooser() as chooser: await page.locator('.widget-upload').click()
        await (await chooser.value).set_files(str(image))
        await page.locator('.primer-file', has_text=image.name).wait_for(timeout=300_000)
        timings['label'].append(time.monotonic() - start)
    return page

def test_images(n, folder):
    "`n` differently named copies of images from the data folder, so each upload is a new file"
    from fastai.vision.all import get_image_files
    from primer_lib.settings import workshop_settings
    files = get_image_files(workshop_settings().data_dir)
    out = []
    for i in range(n):
        dest = Path(folder)/f'upload-{i}{files[i % len(files)].suffix}'; dest.write_bytes(files[i % len(files)].read_bytes()); out.append(dest)
    return out

def p(values, q): return round(statistics.quantiles(values, n=100)[q - 1], 3) if len(values) > 1 else round(values[0], 3)

async def measure(url, server, sessions, images, preheat=0):
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path='/usr/bin/chromium', args=['--no-sandbox', '--disable-background-networking'])
        timings = dict(load=[], label=[])
        before = kernel_memory_mb(server)  # the page opened to check that the server is up
        pages = await asyncio.gather(*[session(browser, url, images, timings) for _ in range(sessions)])
        kernels = [mb for pid, mb in kernel_memory_mb(server).items() if pid not in before]
        await browser.close()
    return dict(sessions=sessions, preheat=preheat, uploads=len(timings['label']), label_p50_s=p(timings['label'], 50), label_p95_s=p(timings['label'], 95),
                page_load_p50_s=p(timings['load'], 50), kernels=len(kernels), memory_per_kernel_mb=round(statistics.mean(kernels)) if kernels else None,
                machine=f'{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB')

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sessions', type=int, nargs='+', default=[1, 2, 4, 8])
    parser.add_argument('--uploads', type=int, default=5); parser.add_argument('--model')
    parser.add_argument('--preheat', type=int, default=0, help="primer app's --preheat")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        images = test_images(args.uploads, tmp)
        for n in args.sessions:
            port = free_port()
            server = serve(args.model, port, args.preheat)
            time.sleep(args.preheat * 8)  # let the pool fill
            try: print(json.dumps(asyncio.run(measure(f'http://127.0.0.1:{port}/', server, n, images, args.preheat))), flush=True)
            finally: server.terminate(); server.wait(30)

if __name__ == '__main__': main()
