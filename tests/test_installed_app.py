"`pip install` of primer's wheel, then `primer app --model ...` from an empty folder, serves the app: the app's notebook travels in the package."
import os, subprocess, sys, sysconfig, time, urllib.request, zipfile
from pathlib import Path
from conftest import ROOT, free_port

def test_the_wheel_ships_the_app_and_serves_it_from_an_empty_folder(trained, tmp_path):
    wheels = tmp_path/'wheels'
    res = subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', str(wheels), str(ROOT)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    wheel, = wheels.glob('primer-*.whl')
    names = zipfile.ZipFile(wheel).namelist()
    assert 'primer_lib/app.ipynb' in names and 'primer_lib/web/ort.wasm.min.js' in names, names
    # A venv of its own with primer from the wheel alone. Its dependencies come from this environment's site-packages
    # through a .pth file (installing torch and fastai again would take minutes); primer's editable hook is not among them.
    venv = tmp_path/'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True, timeout=300)
    site = next((venv/'lib').glob('python3*/site-packages'))
    (site/'dependencies.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    res = subprocess.run([sys.executable, '-m', 'pip', '--python', str(venv/'bin'/'python'), 'install', '-q', '--no-deps', str(wheel)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    where = subprocess.run([venv/'bin'/'python', '-c', 'import primer_lib; print(primer_lib.__file__)'], capture_output=True, text=True,
                           cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}, timeout=300)
    assert where.stdout.startswith(str(site)), (where.stdout, where.stderr[-2000:])  # the installed copy, not the checkout
    empty, port = tmp_path/'empty', free_port()
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PRIMER_SETTINGS')}
    env['PATH'] = f"{venv/'bin'}{os.pathsep}{env['PATH']}"
    env['JUPYTER_PATH'] = str(Path(sys.prefix)/'share'/'jupyter')  # Voilà's templates: data files of the environment lent above
    with open(tmp_path/'voila.log', 'w') as log:
        server = subprocess.Popen([venv/'bin'/'primer', 'app', '--model', str(trained[0]), '--port', str(port)], cwd=empty,
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        page, deadline = '', time.time() + 240
        while time.time() < deadline and 'tells apart' not in page and server.poll() is None:
            try: page = urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=120).read().decode()
            except OSError: time.sleep(1)
        log = (tmp_path/'voila.log').read_text()
        assert 'Classify your images' in page and 'tells apart' in page, log[-3000:]
        assert 'Traceback' not in page
        assert str(site/'primer_lib'/'app.ipynb') in log or 'app.ipynb' in log, log[-3000:]
        assert list(empty.iterdir()) == [], 'primer app wrote into the folder it was started from'
    finally:
        server.terminate()
        try: server.wait(60)
        except subprocess.TimeoutExpired: server.kill()
