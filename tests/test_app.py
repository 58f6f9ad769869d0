"`primer app` serves the classifier page with Voilà on 127.0.0.1 only, its kernels light (the model in one model process), and refuses a model that changed since export."
import json, os, shutil, socket, subprocess, sys, time, urllib.request
import psutil
from conftest import primer, free_port, start_on_free_port, PRIMER, ROOT
from test_models_safe import forge

def model_copy(model, dest, *suffixes):
    "Copy the export's files with these suffixes (.pkl, .safetensors, .manifest.json) to `dest`"
    for suffix in suffixes: shutil.copy(model.with_suffix(suffix), dest.with_suffix(suffix))
    return dest

def listening_addresses(pid):
    "The addresses the process `pid` and its children listen on"
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {c.laddr.ip for p in procs for c in p.net_connections(kind='inet') if c.status == psutil.CONN_LISTEN}

def other_addresses():
    "This machine's IPv4 addresses other than loopback"
    return [a.address for addrs in psutil.net_if_addrs().values() for a in addrs if a.family == socket.AF_INET and not a.address.startswith('127.')]

def page_code()->str:
    "The code of the cells Voilà runs for the page: 07's code cells not tagged `lesson`, without nbdev's directives"
    cells = json.loads((ROOT/'nbs'/'07_app.ipynb').read_text())['cells']
    return '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code' and 'lesson' not in c['metadata'].get('tags', []))

def test_the_page_imports_no_torch(trained, tmp_path):
    "The page's own cells, run as `primer app`'s kernels run them (a model process's address set): no torch, no fastai"
    check = page_code() + "\nimport sys; assert not {'torch', 'fastai'} & set(sys.modules), 'the page imported torch'; print(type(model).__name__)"
    env = {**os.environ, 'PRIMER_MODEL_PATH': str(trained[0]), 'PRIMER_MODEL_URL': 'http://127.0.0.1:9'}
    res = subprocess.run([sys.executable, '-c', check], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == 'ModelClient', res.stderr[-2000:]
    res = subprocess.run([sys.executable, '-c', "import sys, ipywidgets, primer_lib.serve, primer_lib.app, primer_lib.settings; assert 'torch' not in sys.modules"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]

def test_tampered_model_is_refused_before_serving(trained, tmp_path):
    model, _ = trained
    copy = model_copy(model, tmp_path/'copy.pkl', '.pkl')
    res = primer('app', '--model', copy, '--port', free_port())
    assert res.returncode == 2 and 'no manifest' in res.stderr, res.stderr
    model_copy(model, copy, '.manifest.json')
    res = primer('app', '--model', copy, '--port', free_port())
    assert res.returncode == 2 and 'no weights-only model' in res.stderr, res.stderr
    model_copy(model, copy, '.safetensors')
    with open(copy.with_suffix('.safetensors'), 'ab') as f: f.write(b'\0')
    res = primer('app', '--model', copy, '--port', free_port())
    assert res.returncode == 2 and 'does not match the sha256' in res.stderr, res.stderr

def test_app_is_served_on_loopback_from_a_preheated_kernel(trained, tmp_path):
    model = forge(trained[0], tmp_path/'labels.pkl', tmp_path/'it-ran')  # a pickle that runs code, if anything unpickles it
    manifest = json.loads(model.with_suffix('.manifest.json').read_text())
    model.with_suffix('.manifest.json').write_text(json.dumps({**manifest, 'vocab': ['<i>3', '7']}))  # a label that is HTML
    # a file, not a pipe nobody reads: a full pipe would stall the server
    server, port = start_on_free_port(['app', '--model', model, '--preheat', 1], tmp_path/'voila.log')
    try:
        page, deadline = '', time.time() + 180
        while time.time() < deadline and 'tells apart' not in page:
            try: page = urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=120).read().decode()
            except OSError: time.sleep(1)
        assert 'Classify your images' in page, (tmp_path/'voila.log').read_text()[-3000:]
        # the kernel ran the notebook with this model: its labels are in the page's widget output, escaped
        assert 'tells apart: \\u003cb\\u003e\\u0026lt;i\\u0026gt;3, 7' in page and '\\u003ci\\u003e3' not in page
        assert not (tmp_path/'it-ran').exists(), 'the page unpickled the model'
        assert 'FileReader.prototype.readAsArrayBuffer' in page  # the script that keeps large files off the websocket
        assert listening_addresses(server.pid) == {'127.0.0.1'}
        for address in other_addresses():  # and from this machine's other addresses, nothing answers
            with socket.socket() as s:
                s.settimeout(5)
                assert s.connect_ex((address, port)) != 0, f'the app answers on {address}'
        assert 'application/vnd.jupyter.widget-view+json' in page
        assert 'Traceback' not in page
        assert 'This notebook is the app' not in page  # cells tagged `lesson` are left out of the page
        assert 'primer-file' not in page  # and so is the stand-in upload: no answer until someone uploads
        kernels = psutil.Process(server.pid).children(recursive=True)
        assert kernels, 'no kernel was started'
        pages = [p for p in kernels if 'ipykernel' in ' '.join(p.cmdline())]
        models = [p for p in kernels if 'primer_lib.model_server' in ' '.join(p.cmdline())]
        assert pages and len(models) == 2, [p.cmdline() for p in kernels]  # the kernels, the model process and its supervisor
        assert max(p.memory_info().rss for p in pages) < 400 * 2**20, 'a page kernel holds more than 0.4 GB: did it import torch?'
        server.terminate(); server.wait(60)
        gone, alive = psutil.wait_procs(kernels, timeout=30)
        assert alive == [], 'stopping primer app left its kernels running'
    finally:
        server.terminate()
        try: server.wait(30)
        except subprocess.TimeoutExpired: server.kill()
