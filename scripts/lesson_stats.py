"""How long the lessons take a newcomer, and how much of them is prose, counted from the notebooks' JSON.

    python3 scripts/lesson_stats.py                 # a markdown table of nbs/00-07 and their total (the README's)
    python3 scripts/lesson_stats.py --json nbs/03_train.ipynb
    python3 scripts/lesson_stats.py --check         # exit 1 when a lesson misses a target
    python3 scripts/lesson_stats.py --readme        # put the table in nbs/index.ipynb (README.md's source), with run times

minutes = markdown words / 180 + visible code lines / 20 + code cells x 10 s. A code cell is visible unless it is
collapsed in Jupyter and Colab (metadata `jupyter.source_hidden`, or Colab's form view `cellView: form`). A lesson
cell is a visible code cell that is not `#| export`, `#| hide` or `#| default_exp`. A term is explained late when code
uses it before any prose mentions it, reading the notebooks in order. Only the standard library: runs with any Python 3.
With --readme the table gains each lesson's run time as a section of workshop.ipynb on a CPU, from
scripts/workshop_times.json (written by `make workshop-times`, which runs the one notebook alone).
"""
import argparse, json, re, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS_PER_MINUTE, LINES_PER_MINUTE, SECONDS_PER_CELL = 180, 20, 10
TARGETS = dict(md_share=0.5, lesson_median=4, total_minutes=60)
# each term, and the pattern that finds it in a cell (`valid_pct` in code is a use of the validation set)
TERMS = {'validation set': r'\bvalid', 'epoch': r'\bepoch', 'loss': r'\bloss', 'learning rate': r'learning.rate|\blr\b',
         'overfitting': r'overfit'}

def source(cell) -> str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']

def line_count(text:str)->int: return len(text.rstrip('\n').split('\n')) if text.strip() else 0

def collapsed(cell)->bool:
    "Is the cell's code hidden in Jupyter or shown as a form in Colab?"
    meta = cell.get('metadata', {})
    return bool(meta.get('jupyter', {}).get('source_hidden')) or meta.get('cellView') == 'form'

def first_directive(text:str)->str:
    "The nbdev directive on the first line of a cell (`export`, `hide`, ...), or ''"
    m = re.match(r'#\s*\|\s*(\w+)', text.lstrip().split('\n')[0])
    return m.group(1) if m else ''

def is_export(text:str)->bool: return first_directive(text).startswith('export')

def is_lesson(text:str)->bool: return not is_export(text) and first_directive(text) not in ('hide', 'default_exp')

def cells_of(path:Path)->list:
    "The markdown and code cells of the notebook at `path`"
    return [c for c in json.loads(Path(path).read_text())['cells'] if c['cell_type'] in ('markdown', 'code')]

def notebook_stats(path:Path)->dict:
    "The figures of one notebook"
    cells = cells_of(path)
    prose = [source(c) for c in cells if c['cell_type'] == 'markdown']
    code = [c for c in cells if c['cell_type'] == 'code']
    visible = [source(c) for c in code if not collapsed(c)]
    lesson = [line_count(s) for s in visible if is_lesson(s)]
    words = sum(len(re.findall(r'\w+', s)) for s in prose)
    lines = sum(map(line_count, visible))
    minutes = words / WORDS_PER_MINUTE + lines / LINES_PER_MINUTE + len(code) * SECONDS_PER_CELL / 60
    return dict(nb=Path(path).stem, md_share=round(len(prose) / max(1, len(cells)), 2), words=words, code_cells=len(code),
                visible_code_lines=lines, export_lines=sum(line_count(source(c)) for c in code if is_export(source(c))),
                lesson_median=statistics.median(lesson) if lesson else 0, lesson_max=max(lesson, default=0),
                minutes=round(minutes, 1))

def terms_explained_late(paths:list)->list:
    "The terms that code uses before any prose mentions them, reading the notebooks at `paths` in order"
    seq = [(c['cell_type'], source(c).lower()) for p in paths for c in cells_of(p)]
    def first(kind, rx): return next((i for i, (t, s) in enumerate(seq) if t == kind and re.search(rx, s)), None)
    late = []
    for term, rx in TERMS.items():
        prose, code = first('markdown', rx), first('code', rx)
        if prose is None or (code is not None and code < prose): late.append(term)
    return late

def total_stats(rows:list, paths:list)->dict:
    "The figures of all the notebooks together"
    return dict(total_minutes=round(sum(r['minutes'] for r in rows), 1), words=sum(r['words'] for r in rows),
                code_cells=sum(r['code_cells'] for r in rows), visible_code_lines=sum(r['visible_code_lines'] for r in rows),
                export_lines=sum(r['export_lines'] for r in rows), min_md_share=min(r['md_share'] for r in rows),
                max_lesson_median=max(r['lesson_median'] for r in rows), terms_late=terms_explained_late(paths))

def markdown_table(rows:list, total:dict)->str:
    "The figures as a markdown table, a total row, and a line on the terms"
    head = '| notebook | markdown cells | words | code cells | visible code lines | median lesson cell | minutes |\n|---|---|---|---|---|---|---|'
    body = [f"| `{r['nb']}` | {r['md_share']:.0%} | {r['words']} | {r['code_cells']} | {r['visible_code_lines']} | "
            f"{r['lesson_median']:g} | {r['minutes']:.1f} |" for r in rows]
    foot = (f"| **total** | at least {total['min_md_share']:.0%} | {total['words']} | {total['code_cells']} | "
            f"{total['visible_code_lines']} | at most {total['max_lesson_median']:g} | **{total['total_minutes']:.0f}** |")
    late = ', '.join(total['terms_late']) or 'none'
    return '\n'.join([head, *body, foot, '', f'Terms used in code before the prose explains them: {late}.'])

def missed_targets(rows:list, total:dict)->list:
    "What misses the targets: each lesson at least 50 % markdown cells and median lesson cell at most 4 lines, 60 minutes in all"
    missed = [f"{r['nb']}: {r['md_share']:.0%} markdown cells" for r in rows if r['md_share'] < TARGETS['md_share']]
    missed += [f"{r['nb']}: median lesson cell of {r['lesson_median']:g} lines" for r in rows if r['lesson_median'] > TARGETS['lesson_median']]
    if total['total_minutes'] > TARGETS['total_minutes']: missed.append(f"{total['total_minutes']:.0f} minutes in all")
    return missed + [f'{t} used in code before the prose explains it' for t in total['terms_late']]

TIMES = ROOT/'scripts'/'workshop_times.json'

def read_times(path:Path=TIMES)->dict:
    "The one notebook's measured section times (None when they were never measured)"
    try: return json.loads(Path(path).read_text())
    except (OSError, ValueError): return None

def with_run_times(table:str, rows:list, total:dict, times:dict)->str:
    "`table` with a column for each lesson's run time in the one notebook, and a line on reading plus running"
    secs = times['sections']
    lines = table.split('\n')
    run = {r['nb']: secs.get(r['nb']) for r in rows}
    running = sum(secs.values()) / 60
    def cell(v): return '–' if v is None else f'{v / 60:.1f}'
    out = []
    for line in lines:
        if line.startswith('| notebook |'): line += ' run on a CPU |'
        elif line.startswith('|---'): line += '---|'
        elif line.startswith('| `'): line += f" {cell(run.get(line.split('`')[1]))} |"
        elif line.startswith('| **total**'): line += f' **{running:.0f}** |'
        out.append(line)
    reading = total['total_minutes']
    out += ['', f"Run on a CPU: each lesson's minutes as a section of `workshop.ipynb`, run alone top to bottom in a fresh "
                f"Colab-like environment ({times.get('cpus', '?')} CPU cores" + (f", shared: load average {times['load_average']:g} at the end"
                if times.get('load_average', 0) > times.get('cpus', 1) else '') + f", measured {times.get('measured', '?')} by "
                f"`make workshop-times`); the total includes {secs.get('start', 0) / 60:.1f} minutes of installing primer and "
                f"setting the labels. Reading and running together: about {reading + running:.0f} minutes."]
    return '\n'.join(out)

README_START, README_END = '<!-- lesson figures -->', '<!-- end of lesson figures -->'

def with_table(text:str, table:str)->str:
    "`text` with `table` between the README's two lesson-figure markers"
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    return text[:start] + '\n' + table + '\n' + text[end:]

def write_readme_table(table:str, index:Path=ROOT/'nbs'/'index.ipynb'):
    "Put `table` in the cell of `index` that has the lesson-figure markers"
    nb = json.loads(index.read_text())
    cell = next(c for c in nb['cells'] if README_START in source(c))
    cell['source'] = with_table(source(cell), table).splitlines(keepends=True)
    index.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + '\n')

def main(argv=None)->int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('notebooks', nargs='*', type=Path, help='the notebooks, in reading order (nbs/00-07 by default)')
    parser.add_argument('--json', action='store_true', help='one JSON line per notebook, then the total')
    parser.add_argument('--check', action='store_true', help='exit 1, saying why, when a target is missed')
    parser.add_argument('--readme', action='store_true', help="write the table into nbs/index.ipynb, the README's source")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT/'nbs').glob('0[0-7]_*.ipynb'))
    rows = [notebook_stats(p) for p in paths]
    total = total_stats(rows, paths)
    table, times = markdown_table(rows, total), read_times()
    table = with_run_times(table, rows, total, times) if times and not args.notebooks else table  # as the README shows it
    print('\n'.join(map(json.dumps, [*rows, total])) if args.json else table)
    if args.readme: write_readme_table(table)
    missed = missed_targets(rows, total) if args.check else []
    for m in missed: print(f'missed: {m}', file=sys.stderr)
    return 1 if missed else 0

if __name__ == '__main__': sys.exit(main())
