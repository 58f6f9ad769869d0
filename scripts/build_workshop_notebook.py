"""Make workshop.ipynb, the whole workshop in one notebook for Colab, from the lessons nbs/00-07: `make workshop-notebook`.

    .venv/bin/python scripts/build_workshop_notebook.py [--check] [--out workshop.ipynb]

The notebook has one install cell (the lessons' own), one "Your labels" cell (labels, source, and whether to keep the
work on Google Drive), then every lesson as a section of one runtime: its install cell left out, its title and
headings one level down, nbdev's export lines left out, its links to other lessons made plain text and its links to the
library notebooks pointed at the repository. A lesson cell that saves labels itself (`save_settings(...)`) is kept,
commented out: in this notebook the labels cell sets them. Everything else is taken from the lessons' cell structure, so
a rewritten lesson needs nothing here. With --check, exits 1 (having written it) when the notebook was not what the
lessons make now; `make sync` (the first step of `make test`) runs that.
"""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT/'workshop.ipynb'
EXPORT_LINE = re.compile(r'^\s*#\s*\|\s*(default_exp|export|exports|exporti)\b.*$')
LESSON_LINK = re.compile(r'\[([^\]]*)\]\((0[0-7]_[\w-]+\.ipynb)(#[^)]*)?\)')
LIBRARY_LINK = re.compile(r'\]\(((?:1\d|2\d)_[\w-]+\.ipynb)(#[^)]*)?\)')
REPO_LINE = re.compile(r"REPO = '([^']*)'")
SAVES_LABELS = re.compile(r'^[^#\n]*\bsave_settings\(', re.M)

def source(cell)->str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def md(text:str, **meta)->dict: return dict(cell_type='markdown', metadata=meta, source=text.splitlines(keepends=True))

def code(text:str, **meta)->dict:
    return dict(cell_type='code', execution_count=None, metadata=meta, outputs=[], source=text.splitlines(keepends=True))

def read_nb(path:Path)->dict: return json.loads(Path(path).read_text())

def lessons(nbs:Path)->list: return sorted(Path(nbs).glob('0[0-7]_*.ipynb'))

def lesson_title(nb:dict, stem:str)->str:
    "The lesson's `# Title`, or its file name"
    for c in nb['cells']:
        if c['cell_type'] == 'markdown':
            for line in source(c).splitlines():
                if line.startswith('# '): return line[2:].strip()
    return stem

def demoted(text:str)->str:
    "Markdown `text` with every heading one level down (none in fenced code)"
    out, fenced = [], False
    for line in text.split('\n'):
        if line.lstrip().startswith('```'): fenced = not fenced
        out.append('#' + line if not fenced and re.match(r'#{1,5} ', line) else line)
    return '\n'.join(out)

def relinked(text:str, repo:str)->str:
    "Markdown `text` with lesson links as plain text (they are sections here) and library links to the repository"
    text = LESSON_LINK.sub(lambda m: f'**{m.group(1)}**', text)
    return LIBRARY_LINK.sub(lambda m: f']({repo}/blob/main/nbs/{m.group(1)}{m.group(2) or ""})', text)

def without_exports(text:str)->str:
    "Code `text` without nbdev's export directives, which mean nothing outside nbs/"
    return '\n'.join(l for l in text.split('\n') if not EXPORT_LINE.match(l)).strip('\n')

def commented(text:str)->str:
    return ('# In this notebook, the "Your labels" cell at the top sets the labels; the lesson\'s own line, commented out:\n'
            + '\n'.join(l if l.lstrip().startswith('#') or not l.strip() else '# ' + l for l in text.split('\n')))

def section(path:Path, install:str, repo:str)->list:
    "The cells of the lesson at `path` as a section of the one notebook"
    nb, stem = read_nb(path), path.stem
    cells, titled = [], False
    for c in nb['cells']:
        text, meta = source(c), {k: v for k, v in c.get('metadata', {}).items() if k in ('jupyter', 'cellView')}
        if c['cell_type'] == 'code':
            if text.strip() == install.strip(): continue
            text = without_exports(text)
            if not text.strip(): continue
            cells.append(code(commented(text) if SAVES_LABELS.search(text) else text, **meta))
        elif c['cell_type'] == 'markdown':
            text = relinked(demoted(text), repo)
            if not titled and re.search(r'^## ', text, re.M):
                text, titled = re.sub(r'^## (.*)$', lambda m: f'## {stem[:2]} · {m.group(1)}', text, count=1, flags=re.M), True
                meta['primer'] = dict(lesson=stem)
            cells.append(md(text, **meta))
    if not titled: cells.insert(0, md(f'## {stem[:2]} · {stem[3:]}', primer=dict(lesson=stem)))
    return cells

def labels_cell()->str:
    "The form cell where a learner sets labels and source, once"
    from primer_lib.settings import DEFAULTS
    from primer_lib.download import SOURCES
    labels = ', '.join(str(DEFAULTS['labels']).split(','))
    choices = json.dumps([s for s in SOURCES if s != 'jmd'])  # jmd no longer gets past DuckDuckGo (lesson 01)
    return '\n'.join([
        '#@title Your labels: what the model tells apart, and where their images come from',
        f"labels = '{labels}'  #@param {{type:\"string\"}}",
        f"source = '{DEFAULTS['source']}'  #@param {choices} {{allow-input: true}}",
        'on_drive = False  #@param {type:"boolean"}',
        'from primer_lib.workshop import your_labels',
        'cfg = your_labels(labels, source, on_drive)'])

def workshop_notebook(nbs:Path=ROOT/'nbs')->dict:
    "The one notebook, made from the lessons in `nbs`"
    paths = lessons(nbs)
    if not paths: raise SystemExit(f'build_workshop_notebook: no lessons (0[0-7]_*.ipynb) in {nbs}.')
    first = read_nb(paths[0])
    install_cell = next(c for c in first['cells'] if c['cell_type'] == 'code')
    install = source(install_cell)
    repo = (REPO_LINE.search(install) or [None, 'https://github.com/YOUR-ORG/primer'])[1]
    titles = [f"{p.stem[:2]} {lesson_title(read_nb(p), p.stem)}" for p in paths]
    intro = md('\n'.join([
        '# The workshop in one notebook',
        '',
        '> From your own labels to an app that classifies uploads, in one runtime: the eight lessons one after the other.',
        '',
        'Run the two cells below first: the install cell (about a minute in Colab) and **Your labels**. Then go through the',
        "sections in order; each uses what the ones before it made, in this runtime: the images of 01, the model that 03",
        'trains, the cleaning of 05. A CPU is enough; in Colab, a GPU runtime (Runtime, Change runtime type) trains faster.',
        '',
        'Sections: ' + ' · '.join(titles) + '.',
        '',
        f'The lessons are also separate notebooks in [nbs/]({repo}/tree/main/nbs), for Jupyter and for one step at a time.',
        'This notebook is made from them (`make workshop-notebook`): change the lessons, not this file.']))
    labels_md = md('\n'.join([
        '## Your labels',
        '',
        'Two or more things to tell apart, separated by commas, and where their images come from: `sample` (offline: the',
        'handwritten digits 0 to 9), a web search (`ddg`, `openverse`), like `grizzly bear, black bear` from `ddg`, or',
        '`photos`: your own, which section 01 shows how to upload. The cell checks them before anything downloads and',
        'writes them into the settings, which every section reads.',
        '',
        '**To keep your work across a disconnected runtime, tick `on_drive` before you run this cell: your images, their '
        'cleaning and your model then live in your Google Drive (folder `primer`); after a disconnect, run the install '
        'cell and this cell again, then the section you were in from its top.**']))
    cells = [intro, code(install, **{k: v for k, v in install_cell.get('metadata', {}).items() if k in ('jupyter', 'cellView')}),
             labels_md, code(labels_cell(), cellView='form')]
    for p in paths: cells += section(p, install, repo)
    meta = dict(kernelspec=dict(display_name='Python 3', language='python', name='python3'),
                language_info=dict(name='python'), colab=dict(name='workshop.ipynb', provenance=[], toc_visible=True))
    return dict(cells=cells, metadata=meta, nbformat=4, nbformat_minor=4)

def as_text(nb:dict)->str: return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + '\n'

def main(argv=None)->int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=OUT, help='where the notebook goes (workshop.ipynb at the root)')
    parser.add_argument('--nbs', type=Path, default=ROOT/'nbs', help='the folder of the lessons')
    parser.add_argument('--check', action='store_true', help='exit 1 when the notebook was stale (it is rewritten)')
    args = parser.parse_args(argv)
    text = as_text(workshop_notebook(args.nbs))
    old = args.out.read_text() if args.out.is_file() else None
    if old != text: args.out.write_text(text)
    if args.check and old != text:
        print(f'{args.out.name} differed from the lessons in {args.nbs.name}/; it has now been rewritten. Review and commit it.')
        return 1
    print(f'{args.out.name} matches the lessons.' if old == text else f'Wrote {args.out}.')
    return 0

if __name__ == '__main__': sys.exit(main())
