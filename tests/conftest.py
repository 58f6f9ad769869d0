"Shared fixtures: a small sample dataset and a model trained on it, made once per test session."
import json, os, socket, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
PRIMER = str(Path(sys.executable).parent/'primer')
CHROMIUM = Path('/usr/bin/chromium')  # Debian's Chromium, driven by playwright (its own browser download can't work here)

def primer(*args, cwd=ROOT, env=None, timeout=900):
    "Run the `primer` command; the finished process"
    return subprocess.run([PRIMER, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})

def free_port():
    "A TCP port on 127.0.0.1 that nothing listens on"
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def start_on_free_port(args, log, cwd=ROOT, attempts=3, seconds=300):
    """Run `primer *args --port P` (output to the file `log`) on a free port P, until it listens there; (the process, P).
    A port found free can be taken before the app binds it: then the app stops (Voilà is told not to try other ports), and
    we try another."""
    import psutil, time
    for _ in range(attempts):
        port = free_port()
        with open(log, 'w') as out:
            proc = subprocess.Popen([PRIMER, *map(str, args), '--port', str(port)], cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        ends = time.monotonic() + seconds
        while proc.poll() is None and time.monotonic() < ends:
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            try:
                if any(c.laddr.port == port and c.status == psutil.CONN_LISTEN for p in tree for c in p.net_connections('tcp')): return proc, port
            except psutil.Error: pass
            time.sleep(0.3)
        if proc.poll() is None: proc.kill()
        if 'in use' not in Path(log).read_text(): break
    raise AssertionError(f'primer {args[0]} did not start: ' + Path(log).read_text()[-3000:])

def last_json(text):
    "The JSON object on the last line of `text`"
    return json.loads(text.strip().splitlines()[-1])

@pytest.fixture(scope='session')
def sample_data(tmp_path_factory):
    "Sample digits 3 and 7, 40 images each, written by `primer download`"
    dest = tmp_path_factory.mktemp('digits')
    res = primer('download', '--source', 'sample', '--labels', '3,7', '--per-label', 40, '--dest', dest)
    assert res.returncode == 0, res.stderr
    return dest

@pytest.fixture(scope='session')
def trained(sample_data, tmp_path_factory):
    "A model trained by `primer train` on `sample_data`: (model path, the JSON summary)"
    out = tmp_path_factory.mktemp('model')/'digits.pkl'
    res = primer('train', '--data', sample_data, '--epochs', 1, '--size', 48, '--out', out)
    assert res.returncode == 0, res.stderr
    return out, last_json(res.stdout)

@pytest.fixture(scope='module')
def browser():
    "Debian's Chromium, headless, for the tests that drive a page"
    if not CHROMIUM.exists():
        if os.environ.get('CI'): pytest.fail(f'{CHROMIUM} is missing: CI installs it with `make browser` (apt-get install chromium).')
        pytest.skip(f'{CHROMIUM} is missing: run `make browser` (apt-get install chromium).')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=['--no-sandbox', '--disable-background-networking'])
        yield browser
        browser.close()
