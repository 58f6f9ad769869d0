"""Set the workshop's address, for a fork: `make colab REPO=https://github.com/you/primer`.

    .venv/bin/python scripts/set_repo.py https://github.com/you/primer

Writes the address into the install cell of every lesson (nbs/00-07) and into `INSTALL_CELL` (nbs/17_workshop.ipynb),
which must stay equal, re-exports primer_lib, makes workshop.ipynb again from the lessons (so it installs from there
too), and writes the "Open in Colab" links in nbs/index.ipynb, the one notebook's first, then each lesson's, between
two markers (put the marked block where you like; without it, it goes at the end of "Three ways to follow it").
`make readme` then renders README.md from nbs/index.ipynb; `make colab` does both.
"""
import json, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO_LINE = re.compile(r"(REPO = (\\?)')[^'\\]*(\2')")  # the line in a cell, or in INSTALL_CELL's string literal
START, END = '<!-- Open in Colab: `make colab REPO=...` writes these links -->', '<!-- end of the Colab links -->'
BADGE = 'https://colab.research.google.com/assets/colab-badge.svg'

def github_repo(address:str)->tuple:
    "(owner, name) of a GitHub address like https://github.com/you/primer; SystemExit when it is not one"
    m = re.fullmatch(r'https://github\.com/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+?)(?:\.git)?/?', address.strip())
    if not m: raise SystemExit(f"set_repo: {address!r} is not a GitHub repository's address: give it as https://github.com/OWNER/NAME")
    return m.group(1), m.group(2)

def source(cell) -> str: return ''.join(cell['source'])

def read_nb(path:Path)->dict: return json.loads(path.read_text())

def write_nb(path:Path, nb:dict):
    "Write `nb` the way nbdev-clean leaves notebooks, so that only the changed cells show in a diff"
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + '\n')

def set_source(cell, text): cell['source'] = text.splitlines(keepends=True)

def with_repo(text:str, url:str, where:str)->str:
    "`text` with its one `REPO = '...'` line set to `url`"
    new, n = REPO_LINE.subn(lambda m: m.group(1) + url + m.group(3), text)
    if n != 1: raise SystemExit(f"set_repo: expected one REPO = '...' line in {where}, found {n}: is it still the install cell?")
    return new

def lessons(root:Path)->list: return sorted((root/'nbs').glob('0[0-7]_*.ipynb'))

def set_install_cells(root:Path, url:str):
    "The address in each lesson's first code cell and in `INSTALL_CELL`"
    for path in lessons(root):
        nb = read_nb(path)
        cell = next(c for c in nb['cells'] if c['cell_type'] == 'code')
        set_source(cell, with_repo(source(cell), url, f'the first code cell of {path.name}'))
        write_nb(path, nb)
    path = root/'nbs'/'17_workshop.ipynb'
    nb = read_nb(path)
    cell = next(c for c in nb['cells'] if 'INSTALL_CELL = ' in source(c))
    set_source(cell, with_repo(source(cell), url, f'INSTALL_CELL in {path.name}'))
    write_nb(path, nb)

def title(path:Path)->str:
    "The `# Title` of the notebook at `path`"
    text = next((source(c) for c in read_nb(path)['cells'] if c['cell_type'] == 'markdown'), '')
    return next((l[2:].strip() for l in text.splitlines() if l.startswith('# ')), path.stem)

WORKSHOP = 'workshop.ipynb'  # the whole workshop in one notebook, made by scripts/build_workshop_notebook.py

def colab_links(root:Path, owner:str, name:str)->str:
    "The marked block of Open-in-Colab links: the one notebook's, then one line per lesson"
    url = f'https://colab.research.google.com/github/{owner}/{name}/blob/main'
    rows = [f'- [![Open In Colab]({BADGE})]({url}/{WORKSHOP}) **`{WORKSHOP}`: the whole workshop in one notebook, one runtime** (start here)']
    rows += [f'- [![Open In Colab]({BADGE})]({url}/nbs/{p.name}) `{p.stem}`: {title(p)}' for p in lessons(root)]
    return '\n'.join([START, *rows, END])

def with_links(text:str, block:str)->str:
    "`text` with the marked block replaced, or else added at the end of its section on the three ways to follow it"
    if START in text and END in text:
        return text[:text.index(START)] + block + text[text.index(END) + len(END):]
    section = text.index('## Three ways to follow it')
    end = text.find('\n## ', section + 1)
    if end < 0: return text.rstrip('\n') + '\n\n' + block
    return text[:end].rstrip('\n') + '\n\n' + block + '\n' + text[end:]

def set_links(root:Path, owner:str, name:str):
    "The lessons' Open-in-Colab links in nbs/index.ipynb"
    path = root/'nbs'/'index.ipynb'
    nb = read_nb(path)
    cells = [c for c in nb['cells'] if c['cell_type'] == 'markdown']
    cell = (next((c for c in cells if START in source(c)), None) or next((c for c in cells if '## Three ways to follow it' in source(c)), None))
    if cell is None: raise SystemExit(f'set_repo: no "## Three ways to follow it" section nor {START} in {path}: add one, then run this again.')
    set_source(cell, with_links(source(cell), colab_links(root, owner, name)))
    write_nb(path, nb)

def main(address:str, root:Path=ROOT):
    owner, name = github_repo(address)
    url = f'https://github.com/{owner}/{name}'
    set_install_cells(root, url)
    set_links(root, owner, name)
    subprocess.run([str(Path(sys.executable).parent/'nbdev-export')], cwd=root, check=True)
    subprocess.run([sys.executable, str(root/'scripts'/'build_workshop_notebook.py'), '--nbs', str(root/'nbs'), '--out', str(root/WORKSHOP)],
                   cwd=root, check=True, stdout=subprocess.DEVNULL)
    print(f'The workshop now installs from {url}: {len(lessons(root))} lessons, INSTALL_CELL, primer_lib, {WORKSHOP} and the '
          f'Colab links in nbs/index.ipynb. Run make readme (make colab does), then commit and push to {url}.')

if __name__ == '__main__':
    if len(sys.argv) != 2: raise SystemExit('usage: set_repo.py https://github.com/OWNER/NAME   (or: make colab REPO=https://github.com/OWNER/NAME)')
    main(sys.argv[1])
