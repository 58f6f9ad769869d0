"axe-core (from npm, in .axe/: `make browser` installs it) run in a page: what it finds, by impact"
from pathlib import Path
import pytest

AXE = Path(__file__).resolve().parents[1]/'.axe'/'node_modules'/'axe-core'/'axe.min.js'
TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']

def axe_violations(page)->list:
    "axe-core's violations of WCAG 2.1 A/AA and best practices in `page`, each {id, impact, nodes}"
    if not AXE.is_file(): pytest.fail(f'No {AXE}: run `make browser` (it installs axe-core from npm into .axe/).')
    if not page.evaluate("typeof window.axe !== 'undefined'"): page.add_script_tag(path=str(AXE))
    return page.evaluate("""async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
        .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""", TAGS)

def serious(violations:list)->list:
    "The serious and critical ones"
    return [v for v in violations if v['impact'] in ('serious', 'critical')]
