"""Run every lesson alone, as in a fresh Colab runtime: `make lessons-alone`.

    .venv/bin/python scripts/run_lessons_alone.py --python .venv-colab/bin/python [nbs/03_train.ipynb ...]

Each lesson (nbs/00-07, or those named) is copied into a new empty folder and executed there by a kernel of the other
environment's Python (ipywidgets 7.7.1, no Voilà, and no primer), with PRIMER_INSTALL pointing at this checkout, so
that the lesson's own first cell installs primer (not editable), and with PRIMER_UNATTENDED=1. primer is uninstalled
from that environment before each lesson, so every lesson installs it itself. Cells flagged `network` or `gpu` are
skipped, as by `primer workshop`. Prints one line per lesson (seconds, ok or the error) and exits non-zero when any
failed; the executed copies are kept in --out (runs/lessons-alone by default).
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
from primer_lib.cli import run_notebook
from primer_lib.workshop import lesson_paths

ROOT = Path(__file__).resolve().parents[1]

def kernel_spec(python:Path, folder:Path)->str:
    "A Jupyter kernel named after `python`'s environment, in `folder`, found through JUPYTER_PATH; its name"
    spec = folder/'kernels'/'primer-alone'
    spec.mkdir(parents=True)
    argv = [str(python), '-m', 'ipykernel_launcher', '-f', '{connection_file}']
    (spec/'kernel.json').write_text(json.dumps(dict(argv=argv, display_name='primer alone', language='python')))
    os.environ['JUPYTER_PATH'] = os.pathsep.join(filter(None, [str(folder), os.environ.get('JUPYTER_PATH')]))
    return spec.name

def kernel_env(python:Path)->dict:
    "This process's environment without primer's settings, with `python` first on the PATH, for a learner's first run"
    env = {k: v for k, v in os.environ.items() if not k.startswith('PRIMER_') and k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
    env['PATH'] = os.pathsep.join([str(python.parent), env.get('PATH', '')])
    return {**env, 'PRIMER_INSTALL': str(ROOT), 'PRIMER_UNATTENDED': '1'}

def installed_primer(python:Path, folder:Path)->str:
    "Where `python` imports primer_lib from, run in `folder` (empty when it cannot)"
    res = subprocess.run([str(python), '-c', 'import primer_lib; print(primer_lib.__file__)'], cwd=folder, capture_output=True, text=True)
    return res.stdout.strip()

def run_alone(
    lesson:Path, # a lesson notebook
    python:Path, # the other environment's Python
    kernel:str, # the kernel that runs with it
    out:Path # where the executed copy goes
)->str:
    "Run `lesson` in a new empty folder with primer uninstalled first; None when it ran, else what went wrong"
    subprocess.run([str(python), '-m', 'pip', 'uninstall', '-y', '-q', 'primer'], capture_output=True)
    with tempfile.TemporaryDirectory(prefix=f'{lesson.stem}-') as folder:
        folder = Path(folder)
        shutil.copy(lesson, folder)
        try: run_notebook(folder/lesson.name, out/lesson.name, env=kernel_env(python), kernel=kernel)
        except RuntimeError as e: return str(e).strip().splitlines()[-1]
        where = installed_primer(python, folder)
    if not where.startswith(str(python.parent.parent)): return f'primer_lib was not installed by the first cell (imported from {where!r})'

def main(argv=None)->int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--python', default=ROOT/'.venv-colab'/'bin'/'python', type=Path, help="the other environment's Python")
    parser.add_argument('--out', default=ROOT/'runs'/'lessons-alone', type=Path, help='where the executed copies go')
    parser.add_argument('lessons', nargs='*', type=Path, help='lesson notebooks (all of nbs/00-07 by default)')
    args = parser.parse_args(argv)
    python = args.python.absolute()
    if not python.is_file(): raise SystemExit(f'No Python at {python}: make .venv-colab/.installed builds it.')
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(ROOT/'build', ignore_errors=True)  # pip builds the checkout in place: no module left from an old build
    lessons = [p.absolute() for p in args.lessons] or lesson_paths(ROOT/'nbs')
    failed, started = [], time.monotonic()
    with tempfile.TemporaryDirectory() as jupyter:
        kernel = kernel_spec(python, Path(jupyter))
        for lesson in lessons:
            t = time.monotonic()
            error = run_alone(lesson, python, kernel, args.out.absolute())
            print(f'{lesson.name:24} {time.monotonic() - t:6.0f} s  {"ok" if error is None else "FAILED: " + error}', flush=True)
            if error is not None: failed.append(lesson.stem)
    print(f'Ran {len(lessons)} lessons alone in {time.monotonic() - started:.0f} s'
          + (f'; failed: {", ".join(failed)} (executed copies in {args.out})' if failed else '; all ran.'))
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
