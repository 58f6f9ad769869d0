"One home for each concern (issue 21): what the library's modules import, and what is defined once."
import ast, os, re, subprocess, sys
from pathlib import Path
from conftest import ROOT

LIB = ROOT/'primer_lib'
TAUGHT = {'data', 'app'}  # the lessons' modules the library reuses: 02's DataBlock and 07's answer HTML

def home(module:Path)->str:
    "The notebook a generated module comes from"
    found = re.search(r'File to edit: \.\./nbs/(\S+)\.ipynb', module.read_text())
    return found[1] if found else ''

def lesson_modules()->set:
    "The modules of the lessons' own helpers: exported by a lesson, or by a library notebook named for a lesson"
    return {m.stem for m in LIB.glob('*.py') if re.match(r'0\d_|\d\d_lesson_', home(m))}

def imported(module:Path)->set:
    "The primer_lib modules `module` imports, at the top or inside functions"
    names = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module: names.add(node.module.split('.')[0])
            elif (node.module or '').startswith('primer_lib.'): names.add(node.module.split('.')[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split('.')[1] for a in node.names if a.name.startswith('primer_lib.')}
    return names

def test_the_library_imports_no_lesson_but_the_two_it_reuses():
    lessons = lesson_modules()
    library = [m for m in LIB.glob('*.py') if home(m) and m.stem not in lessons | {'all'}]
    assert library, 'no library modules found'
    wrong = {m.stem: sorted((imported(m) & lessons) - TAUGHT) for m in library}
    assert not {k: v for k, v in wrong.items() if v}, f'library modules importing lesson modules: {wrong}'

def count(pattern:str)->int:
    "How many times `pattern` occurs in the project's Python: the library, its tests and scripts"
    files = [*LIB.glob('*.py'), *(ROOT/'tests').glob('*.py'), *(ROOT/'scripts').glob('*.py')]
    return sum(len(re.findall(pattern, f.read_text())) for f in files if f.name != 'test_house.py')

def test_each_concern_is_defined_once():
    assert count(r'torch\.onnx\.export\(') == 1, 'the ONNX export is written more than once'
    assert count(r'\bdef free_port\b') == 1
    assert count(r'\bdef model_labels\b') == 1

def test_the_pages_kernel_answers_an_upload_without_torch():
    "The app's page kernel (Voilà) classifies an upload through the model process: neither it nor the warning for an unfamiliar image imports torch"
    code = '''
import io, sys
from PIL import Image
from primer_lib.serve import ModelClient, classify_upload, upload_value
class Answering(ModelClient):  # the model process, as the page's client sees it: a thumbnail and an unfamiliar answer
    def answer(self, data): return b'png', dict(label='3', probability=0.9, probabilities={'3': 0.9, '7': 0.1}, unfamiliar=True, familiarity=0.1)
b = io.BytesIO(); Image.new('RGB', (40, 30), 'red').save(b, 'PNG')
thumb, answer = classify_upload(Answering('http://127.0.0.1:9', ['3', '7']), upload_value('red.png', b.getvalue()), 1, 0.7)
assert "look like the images this model learned from" in answer and '<h2>3 (90%)</h2>' in answer, answer
assert not {'torch', 'fastai'} & set(sys.modules), sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'fastai'))[:5]
'''
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
