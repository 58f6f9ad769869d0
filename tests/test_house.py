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
    assert count(r'\bdef image_paths\b') == 1 and count(r'\bdef image_files\b') == 0, 'the image listing is written more than once'
    assert count(r'probabilities=\{str\(k\)') == 1, 'the result dictionary is built in more than one place'
    assert count(r'\bdef one_thread\b') == 1
    assert count(r'\bdef (sha256_of|manifest_path|weights_path|check_model_file|check_manifest_sizes)\b') == 5
    by_hand = [m.stem for m in LIB.glob('*.py') for _ in re.findall(r"with_suffix\('\.(manifest\.json|safetensors)'\)", m.read_text())]
    assert sorted(by_hand) == ['model_files', 'model_files'], f'model file paths derived by hand outside model_files: {by_hand}'

def test_no_module_imports_another_modules_private_names():
    private = {m.stem: sorted(a.name for node in ast.walk(ast.parse(m.read_text())) if isinstance(node, ast.ImportFrom)
                              and (node.level == 1 or (node.module or '').startswith('primer_lib')) for a in node.names if a.name.startswith('_'))
               for m in LIB.glob('*.py') if m.stem != '_modidx'}
    assert not {k: v for k, v in private.items() if v}, private

LIGHT = '''
import sys, importlib
for name in sys.argv[1:]: importlib.import_module(name)
print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'fastai', 'ipywidgets'})))
'''
def heavy_imports(*modules)->set:
    "The heavy packages that importing `modules` in a fresh Python brings in"
    res = subprocess.run([sys.executable, '-c', LIGHT, *modules], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    return set(res.stdout.split())

def test_the_light_modules_import_no_torch_and_the_model_process_no_widgets():
    page_kernel = ['primer_lib.model_files', 'primer_lib.image_files', 'primer_lib.settings', 'primer_lib.serve', 'primer_lib.app']
    assert heavy_imports(*page_kernel) == set(), 'the page kernel imports torch, fastai or ipywidgets before an upload'
    assert 'ipywidgets' not in heavy_imports('primer_lib.model_server', 'primer_lib.publish', 'primer_lib.predict')

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
