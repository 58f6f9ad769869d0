"""How many people can use the app at once? N browser sessions, each uploading images, against one `primer app`.

    .venv/bin/python scripts/load_app.py --sessions 1 8 30 --uploads 3 [--preheat 30] [--model models/classifier.pkl]

Prints one JSON line per session count: p50/p95 seconds from upload to label, p50/p95 seconds until a page is ready
(its widgets and the label line shown), the memory of the kernels (one per open page) and of the whole server
(Voilà, its kernels and the model process) at its peak, and how many uploads got no label. Needs Debian's Chromium
(`make browser`) and a trained model (`primer train`). A run stops early (`stopped` says why) when the server's
memory passes --max-memory-gb or the machine's available memory falls under 2 GB, so it cannot take the machine down.
"""
import argparse, asyncio, json, os, signal, statistics, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import psutil
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
PRIMER = str(Path(sys.executable).parent/'primer')
sys.path.insert(0, str(ROOT/'tests'))
from conftest import free_port  # the tests' one

def serve(model, port, preheat=0):
    "Start `primer app` and wait until it answers"
    server = subprocess.Popen([PRIMER, 'app', '--port', str(port), '--preheat', str(preheat), *(['--model', model] if model else [])], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try: urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=120); return server
        except OSError: time.sleep(0.5)
    server.kill(); raise TimeoutError('primer app did not start')

def stop(server):
    "Stop `primer app`: SIGTERM, then SIGINT (Voilà with a pool of kernels can sit on SIGTERM), then SIGKILL"
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGINT):
        server.send_signal(sig)
        try: return server.wait(30)
        except subprocess.TimeoutExpired: pass
    server.kill(); server.wait(30)

def server_memory_mb(server):
    "Resident memory of the server and every process under it (Voilà, kernels, the model process), in MB"
    procs = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    total = 0
    for proc in procs:
        try: total += proc.memory_info().rss
        except psutil.Error: pass
    return total / 2**20

async def watch_memory(server, peak, limit_gb):
    "Keep the server's peak memory in `peak`; raise MemoryError when it passes `limit_gb` or the machine runs short"
    while True:
        peak['mb'] = max(peak.get('mb', 0), server_memory_mb(server))
        if peak['mb'] > limit_gb * 1024 or psutil.virtual_memory().available < 2 * 2**30:
            raise MemoryError(f"stopped at {peak['mb'] / 1024:.1f} GB for the server, {psutil.virtual_memory().available / 2**30:.1f} GB available")
        await asyncio.sleep(0.5)

def wait_for_pool(server, preheat, seconds=300):
    "Wait until the server has started its `preheat` pooled kernels and they have run the notebook (the server goes quiet)"
    ends = time.monotonic() + seconds
    while time.monotonic() < ends and len(kernel_memory_mb(server)) < preheat + 1: time.sleep(1)
    procs = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    for proc in procs: proc.cpu_percent()
    while time.monotonic() < ends:
        time.sleep(2)
        busy = 0
        for proc in procs:
            try: busy += proc.cpu_percent()
            except psutil.Error: pass
        if busy < 20: return

def cpu_seconds(procs)->float:
    "CPU seconds (user and system) the processes `procs` have used so far"
    total = 0
    for proc in procs:
        try: t = proc.cpu_times(); total += t.user + t.system
        except psutil.Error: pass
    return total

def tree(pid): return [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]

def kernel_memory_mb(server):
    "Resident memory of each kernel process under the server, in MB, by process id"
    found = {}
    for proc in psutil.Process(server.pid).children(recursive=True):
        try:
            if 'ipykernel' in ' '.join(proc.cmdline()): found[proc.pid] = proc.memory_info().rss / 2**20
        except psutil.Error: pass  # a kernel that just stopped
    return found

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
        answer = page.locator('.primer-file', has_text=image.name)
        await answer.wait_for(timeout=300_000)
        timings['label'].append(time.monotonic() - start)
        if 'primer-error' in await answer.locator('xpath=..').inner_html(): timings['failed'] += 1
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

def p(values, q):
    if not values: return None
    return round(statistics.quantiles(values, n=100)[q - 1], 3) if len(values) > 1 else round(values[0], 3)

async def measure(url, server, sessions, images, preheat=0, max_memory_gb=16):
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path='/usr/bin/chromium', args=['--no-sandbox', '--disable-background-networking'])
        timings, peak, stopped = dict(load=[], label=[], failed=0), {}, None
        before = kernel_memory_mb(server)  # the page opened to check that the server is up
        browser_procs = [p for p in tree(os.getpid())[1:] if p.pid != server.pid and p not in tree(server.pid)]
        server_cpu, browser_cpu = cpu_seconds(tree(server.pid)), cpu_seconds(browser_procs)
        watcher = asyncio.ensure_future(watch_memory(server, peak, max_memory_gb))
        users = asyncio.gather(*[session(browser, url, images, timings) for _ in range(sessions)], return_exceptions=True)
        done, _ = await asyncio.wait([users, watcher], return_when=asyncio.FIRST_COMPLETED)
        if watcher in done: stopped = str(watcher.exception()); users.cancel()
        errors = [] if stopped else [f'{type(e).__name__}: {str(e).splitlines()[0][:120]}' for e in users.result() if isinstance(e, BaseException)]
        kernels = [mb for pid, mb in kernel_memory_mb(server).items() if pid not in before]
        server_cpu = cpu_seconds(tree(server.pid)) - server_cpu
        browser_cpu = cpu_seconds([p for p in tree(os.getpid())[1:] if p.pid != server.pid and p not in tree(server.pid)]) - browser_cpu
        peak['mb'] = max(peak.get('mb', 0), server_memory_mb(server)); watcher.cancel()
        await browser.close()
    return dict(sessions=sessions, preheat=preheat, uploads=len(timings['label']), failed_uploads=timings['failed'],
                label_p50_s=p(timings['label'], 50), label_p95_s=p(timings['label'], 95),
                page_ready_p50_s=p(timings['load'], 50), page_ready_p95_s=p(timings['load'], 95), pages_ready=len(timings['load']),
                kernels=len(kernels), memory_per_kernel_mb=round(statistics.mean(kernels)) if kernels else None,
                server_memory_peak_gb=round(peak['mb'] / 1024, 2), stopped=stopped, failed_sessions=len(errors), errors=errors[:3],
                server_cpu_s=round(server_cpu, 1), browser_cpu_s=round(browser_cpu, 1),
                machine=f'{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, load {os.getloadavg()[0]:.1f}')

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sessions', type=int, nargs='+', default=[1, 2, 4, 8])
    parser.add_argument('--uploads', type=int, default=5); parser.add_argument('--model')
    parser.add_argument('--preheat', type=int, default=0, help="primer app's --preheat")
    parser.add_argument('--max-memory-gb', type=float, default=16, help='stop a run when the server passes this much memory')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        images = test_images(args.uploads, tmp)
        for n in args.sessions:
            port = free_port()
            server = serve(args.model, port, args.preheat)
            try:
                if args.preheat: wait_for_pool(server, args.preheat)  # let the pool fill
                print(json.dumps(asyncio.run(measure(f'http://127.0.0.1:{port}/', server, n, images, args.preheat, args.max_memory_gb))), flush=True)
            finally: stop(server)

if __name__ == '__main__': main()
