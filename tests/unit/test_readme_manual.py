"""The README stays a short user's manual whose links all lead somewhere.

Why: the README was rewritten as a manual (issue 16) with its reference text moved to ``docs/``. These checks
keep it that way: short, with every relative link (README and ``docs/*.md``) pointing at a file that exists
and, when it names one, a heading that exists; with exactly the two set-up commands of the project brief;
with one row per public class in its table; and with the fixture example that
``tests/integration/test_readme_fixture_example.py`` runs, verbatim.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_LINES = 450
MARKDOWN_FILES = [README, *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _prose(text: str) -> str:
    """``text`` without fenced code blocks (a ``# comment`` there is no heading, a ``[x](y)`` no link)."""
    return FENCE.sub("", text)


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (but ``-`` and ``_``), spaces -> ``-``."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (a repeated heading gets ``-1``, ``-2``... as on GitHub)."""
    seen: dict[str, int] = {}
    found = set()
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", _prose(path.read_text()), flags=re.M):
        base = _anchor(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    prose = INLINE_CODE.sub(lambda m: m.group(0).replace("](", "] ("), _prose(path.read_text()))
    return [target for target in LINK.findall(prose) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def test_anchor_rule_matches_githubs() -> None:
    assert _anchor("From a clone: `make demo` and `make test`") == "from-a-clone-make-demo-and-make-test"
    assert _anchor("1. Install") == "1-install"
    assert _anchor("Event order, key collisions, analytics grain") == "event-order-key-collisions-analytics-grain"
    assert _anchor("Any endpoint: `SnovioApiOperator`") == "any-endpoint-snovioapioperator"


def test_readme_is_short() -> None:
    lines = README.read_text().count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines (at most {MAX_LINES}): move reference text to docs/"


@pytest.mark.parametrize("path", MARKDOWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_a_file_and_heading(path: Path) -> None:
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no file {linked.relative_to(ROOT)}")
            continue
        if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.relative_to(ROOT)}")
    assert not broken, f"{path.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_link_check_finds_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\n[ok](#a) [gone](b.md) [no heading](a.md#nowhere)\n`[code](x.md)`\n")
    targets = relative_links(tmp_path / "a.md")
    assert targets == ["#a", "b.md", "a.md#nowhere"]
    assert anchors(tmp_path / "a.md") == {"a"}


def test_setup_commands_are_make_demo_and_make_test() -> None:
    text = README.read_text()
    code = "\n".join(match.group(0) for match in FENCE.finditer(text))
    code += "\n" + "\n".join(INLINE_CODE.findall(_prose(text)))
    targets = set(re.findall(r"(?<![\w-])make\s+([a-z][\w-]*)", code))
    assert targets == {"demo", "test"}, f"make targets named in the README: {sorted(targets)}"
    setup_blocks = [
        block
        for block in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)
        if re.search(r"^make ", block, flags=re.M)
    ]
    assert len(setup_blocks) == 1, setup_blocks
    commands = [line.split("#", 1)[0].strip() for line in setup_blocks[0].splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def _public_classes() -> set[str]:
    names = set()
    for package in ("operators", "sensors", "triggers", "transfers"):
        module = importlib.import_module(f"airflow_provider_snovio.{package}")
        names |= {name for name in module.__all__ if name.startswith("Snovio") and "Base" not in name}
    return names


def test_the_table_has_a_row_per_public_class_with_a_link() -> None:
    text = README.read_text()
    section = text.split("## Operators, sensors, triggers and transfers", 1)[1].split("\n## ", 1)[0]
    rows = set(re.findall(r"^\| \[`(Snovio\w+)`\]\([^)]+\) \| \S", section, flags=re.M))
    assert rows == _public_classes()


def test_the_fixture_example_is_the_one_the_suite_runs() -> None:
    from tests.integration import test_readme_fixture_example

    section = README.read_text().split("## The sandbox", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", section, flags=re.S) if "def test_" in b]
    assert block.strip() == inspect.getsource(test_readme_fixture_example.test_my_dag_task).strip()
