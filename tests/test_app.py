"`primer app` serves the classifier page with Voilà on 127.0.0.1, and refuses a model that changed since export."
import shutil, subprocess, time, urllib.request
import psutil
from conftest import primer, free_port, PRIMER, ROOT

def test_tampered_model_is_refused_before_serving(trained, tmp_path):
    model, _ = trained
    copy = tmp_path/'copy.pkl'
    shutil.copy(model, copy)
    res = primer('app', '--model', copy, '--port', free_port())
    assert res.returncode == 2 and 'no manifest' in res.stderr, res.stderr
    shutil.copy(model.with_suffix('.manifest.json'), copy.with_suffix('.manifest.json'))
    with open(copy, 'ab') as f: f.write(b'\0')
    res = primer('app', '--model', copy, '--port', free_port())
    assert res.returncode == 2 and 'does not match the sha256' in res.stderr, res.stderr

def test_app_is_served_on_loopback_from_a_preheated_kernel(trained, tmp_path):
    model, _ = trained
    port = free_port()
    with open(tmp_path/'voila.log', 'w') as log:  # a file, not a pipe nobody reads: a full pipe would stall the server
        server = subprocess.Popen([PRIMER, 'app', '--model', str(model), '--port', str(port), '--preheat', '1'], cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        page, deadline = '', time.time() + 180
        while time.time() < deadline and 'tells apart' not in page:
            try: page = urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=120).read().decode()
            except OSError: time.sleep(1)
        assert 'Classify your images' in page, (tmp_path/'voila.log').read_text()[-3000:]
        # the kernel ran the notebook with this model: its labels are in the page's widget output
        assert 'tells apart: \\u003cb\\u003e3, 7' in page
        assert 'application/vnd.jupyter.widget-view+json' in page
        assert 'Traceback' not in page
        assert 'This notebook is the app' not in page  # cells tagged `lesson` are left out of the page
        assert 'primer-file' not in page  # and so is the stand-in upload: no answer until someone uploads
        kernels = psutil.Process(server.pid).children(recursive=True)
        assert kernels, 'no kernel was started'
        server.terminate(); server.wait(60)
        gone, alive = psutil.wait_procs(kernels, timeout=30)
        assert alive == [], 'stopping primer app left its kernels running'
    finally:
        server.terminate()
        try: server.wait(30)
        except subprocess.TimeoutExpired: server.kill()
