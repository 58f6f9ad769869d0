"""Run every lesson alone, and the one-notebook workshop alone, as in a fresh Colab runtime: `make lessons-alone`.

    .venv/bin/python scripts/run_lessons_alone.py --python .venv-colab/bin/python [nbs/03_train.ipynb ... | workshop.ipynb]

Each lesson (nbs/00-07, or those named) is copied into a new empty folder and executed there by a kernel of the other
environment's Python (ipywidgets 7.7.1, no Voilà, and no primer), with PRIMER_INSTALL pointing at this checkout, so
that the lesson's own first cell installs primer (not editable), and with PRIMER_UNATTENDED=1. primer is uninstalled
from that environment before each lesson, so every lesson installs it itself. Cells flagged `network` or `gpu` are
skipped, as by `primer workshop`. Prints one line per lesson (seconds, ok or the error) and exits non-zero when any
failed; the executed copies are kept in --out (runs/lessons-alone by default).

workshop.ipynb (scripts/build_workshop_notebook.py), run last, gets other labels than the default in its labels cell
(--labels, '1, 4' by default), then is checked: its model, its cleaning journal and its app (the model `primer app` would
serve) must have those labels. Each section's run time goes to workshop_times.json in --out (--record PATH: there too;
`make workshop-times` records the README's). The versions of fastai, torch and the packages they depend on must be the
same after the runs as before: installing primer must never upgrade them.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time
from datetime import datetime
from pathlib import Path
from primer_lib.cli import run_notebook
from primer_lib.workshop import lesson_paths

ROOT = Path(__file__).resolve().parents[1]
WORKSHOP = ROOT/'workshop.ipynb'
# Colab's own packages, which primer's install must leave as they are
KEPT = ['fastai', 'fastcore', 'fasttransform', 'torch', 'torchvision', 'timm', 'numpy', 'pillow', 'ipython', 'ipykernel',
        'ipywidgets', 'pandas', 'scikit-learn', 'matplotlib', 'plum-dispatch']

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
    res = subprocess.run([str(python), '-c', 'import primer_lib; print(primer_lib.__file__)'], cwd=folder, capture_output=True, text=True,
                         env=kernel_env(python))  # as the kernel had it: no PYTHONPATH
    return res.stdout.strip()

def run_alone(
    lesson:Path, # a lesson notebook
    python:Path, # the other environment's Python
    kernel:str, # the kernel that runs with it
    out:Path, # where the executed copy goes
    labels:str=None, # for the one notebook: the labels its labels cell sets
)->str:
    "Run `lesson` in a new empty folder with primer uninstalled first; None when it ran, else what went wrong"
    subprocess.run([str(python), '-m', 'pip', 'uninstall', '-y', '-q', 'primer'], capture_output=True)
    with tempfile.TemporaryDirectory(prefix=f'{lesson.stem}-') as folder:
        folder = Path(folder)
        shutil.copy(lesson, folder)
        if labels: set_labels_cell(folder/lesson.name, labels)
        try: run_notebook(folder/lesson.name, out/lesson.name, env=kernel_env(python), kernel=kernel)
        except RuntimeError as e: return str(e).strip().splitlines()[-1]
        where = installed_primer(python, folder)
        if labels and (wrong := check_workshop(folder, labels) or redone(out/lesson.name)): return wrong
    if not where.startswith(str(python.parent.parent)): return f'primer_lib was not installed by the first cell (imported from {where!r})'

LABELS_LINE = re.compile(r"^labels = '[^']*'", re.M)

def set_labels_cell(path:Path, labels:str):
    "Set `labels` in the labels cell of the one notebook at `path`, as a learner types them in"
    nb = json.loads(path.read_text())
    cell = next((c for c in nb['cells'] if c['cell_type'] == 'code' and 'your_labels(' in ''.join(c['source'])), None)
    if cell is None or not LABELS_LINE.search(''.join(cell['source'])): raise SystemExit(f"{path.name} has no labels cell (labels = '...' and your_labels): run make workshop-notebook.")
    cell['source'] = LABELS_LINE.sub(lambda m: f"labels = {labels!r}", ''.join(cell['source']), count=1).splitlines(keepends=True)
    path.write_text(json.dumps(nb, indent=1))

def check_workshop(folder:Path, labels:str)->str:
    "What in `folder`, where the one notebook ran, does not use `labels`: its model, its cleaning journal, its app; None when all do"
    from primer_lib.settings import workshop_settings, parse_labels
    from primer_lib.clean import read_journals, in_effect
    from primer_lib.serve import app_classifier
    from primer_lib.model_files import model_labels
    want = sorted(parse_labels('labels', labels))
    cfg = workshop_settings(folder/'settings.ini')
    if sorted(cfg.labels) != want: return f'its settings have the labels {cfg.labels}, not {want}'
    if model_labels(cfg.model_path, missing=True) != want: return f'its model at {cfg.model_path} has the labels {model_labels(cfg.model_path, missing=True)}, not {want}'
    moves = [m for j in read_journals(cfg.data_dir) for m in in_effect(j)]
    if not moves: return f'no cleaning journal in effect in {cfg.data_dir}'
    if others := sorted({Path(m[k]).parts[i] for m in moves for k, i in (('src', 0), ('dst', -2))} - set(want)):
        return f"its cleaning journal moves files of {others}, not only of {want}"
    if (vocab := list(app_classifier(cfg).dls.vocab)) != want: return f'its app serves a model of {vocab}, not {want}'
    if (page := cfg.model_path.parent/'page'/'labels.json').is_file() and json.loads(page.read_text()) != want:
        return f'its published page has the labels {json.loads(page.read_text())}, not {want}'

REDONE = ('No images of ', 'No model at ')  # what ensure_images and ensure_model say when they make them again

def redone(executed:Path)->str:
    "What a section of the executed one notebook at `executed` made again that an earlier section had made; None when nothing"
    for c in json.loads(Path(executed).read_text())['cells']:
        for o in c.get('outputs', []):
            text = ''.join(o.get('text', '')) if o.get('output_type') == 'stream' else ''
            if line := next((l for l in text.splitlines() if l.startswith(REDONE)), None): return f'a section made again what an earlier one had made: {line}'

def section_times(path:Path)->list:
    "[(section, seconds)] of the executed one notebook at `path`: its cells' run times, summed per lesson ('start': before the first)"
    nb = json.loads(Path(path).read_text())
    rows, name = {}, 'start'
    for c in nb['cells']:
        name = c.get('metadata', {}).get('primer', {}).get('lesson', name)
        t = c.get('metadata', {}).get('execution', {})
        if 'iopub.status.busy' in t and 'iopub.status.idle' in t:
            busy, idle = (datetime.fromisoformat(t[k].replace('Z', '+00:00')) for k in ('iopub.status.busy', 'iopub.status.idle'))
            rows[name] = rows.get(name, 0) + (idle - busy).total_seconds()
        else: rows.setdefault(name, 0)
    return [(k, round(v, 1)) for k, v in rows.items()]

def packages(python:Path)->dict:
    "{name: version} of the `KEPT` packages in `python`'s environment"
    code = ("import importlib.metadata as m, json, sys; names = sys.argv[1:]\n"
            "def v(n):\n    try: return m.version(n)\n    except m.PackageNotFoundError: return None\n"
            "print(json.dumps({n: v(n) for n in names}))")
    return json.loads(subprocess.run([str(python), '-c', code, *KEPT], capture_output=True, text=True, check=True).stdout)

def main(argv=None)->int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--python', default=ROOT/'.venv-colab'/'bin'/'python', type=Path, help="the other environment's Python")
    parser.add_argument('--out', default=ROOT/'runs'/'lessons-alone', type=Path, help='where the executed copies go')
    parser.add_argument('--labels', default='1, 4', help="the labels the one notebook's labels cell sets (not the default 3, 7)")
    parser.add_argument('--record', type=Path, help="also write the one notebook's section times here (the README's figures)")
    parser.add_argument('lessons', nargs='*', type=Path, help='lesson notebooks and workshop.ipynb (all of nbs/00-07, then workshop.ipynb, by default)')
    args = parser.parse_args(argv)
    python = args.python.absolute()
    if not python.is_file(): raise SystemExit(f'No Python at {python}: make .venv-colab/.installed builds it.')
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(ROOT/'build', ignore_errors=True)  # pip builds the checkout in place: no module left from an old build
    lessons = [p.absolute() for p in args.lessons] or [*lesson_paths(ROOT/'nbs'), WORKSHOP]
    failed, started, before = [], time.monotonic(), packages(python)
    with tempfile.TemporaryDirectory() as jupyter:
        kernel = kernel_spec(python, Path(jupyter))
        for lesson in lessons:
            t = time.monotonic()
            whole = lesson.name == WORKSHOP.name
            error = run_alone(lesson, python, kernel, args.out.absolute(), labels=args.labels if whole else None)
            print(f'{lesson.name:24} {time.monotonic() - t:6.0f} s  {"ok" if error is None else "FAILED: " + error}', flush=True)
            if error is not None: failed.append(lesson.stem)
            elif whole: record_times(args.out/lesson.name, time.monotonic() - t, args.out/'workshop_times.json', args.record)
    if changed := {k: (v, after[k]) for after in [packages(python)] for k, v in before.items() if after[k] != v}:
        failed.append('installing primer changed ' + ', '.join(f'{k} {a} -> {b}' for k, (a, b) in changed.items()))
        print(f'FAILED: installing primer changed Colab\'s own packages: {failed[-1][25:]}', flush=True)
    print(f'Ran {len(lessons)} lessons alone in {time.monotonic() - started:.0f} s'
          + (f'; failed: {", ".join(failed)} (executed copies in {args.out})' if failed else '; all ran.'))
    return 1 if failed else 0

def record_times(executed:Path, seconds:float, *dests):
    "Write the one notebook's section times (and the whole run's, install included) as JSON to each of `dests`"
    import torch
    times = dict(sections=dict(section_times(executed)), total_seconds=round(seconds), cpus=os.cpu_count(), torch_threads=torch.get_num_threads(),
                 load_average=round(os.getloadavg()[0], 1),
                 measured=time.strftime('%Y-%m-%d'), how='scripts/run_lessons_alone.py: workshop.ipynb alone, in a fresh folder of the Colab-like environment, on a CPU')
    for dest in filter(None, dests): Path(dest).write_text(json.dumps(times, indent=1) + '\n')
    print('  sections: ' + ', '.join(f'{k} {v:.0f} s' for k, v in times['sections'].items()), flush=True)

if __name__ == '__main__': sys.exit(main())
