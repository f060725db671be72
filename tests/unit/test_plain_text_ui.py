"""Text from data is text in every Streamlit element of the app (issue 15, item 1).

Two checks:

* a scan of the source of every module of ``atlas/ui``: each argument that
  Streamlit renders as Markdown (the body of ``st.markdown``, ``st.caption``,
  ``st.info`` ..., the label of every widget, expander, tab, metric and status,
  ``help`` tooltips, image captions, and the options of radio buttons) must be
  text the code wrote itself or text passed through :func:`atlas.plaintext.plain`;
* the district page's caption builders, given a layer named with Markdown image
  syntax and ``$x^2$``, return text whose Markdown shows exactly that name.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest

from atlas.plaintext import plain

UI = Path(__file__).resolve().parents[2] / "atlas" / "ui"
MARKDOWN_NAME = "![x](http://example.com/a.png) $x^2$"

#: Streamlit calls whose first argument (body or label) is rendered as Markdown.
RENDERS_MARKDOWN = {
    "markdown", "caption", "header", "subheader", "title", "write", "info", "warning", "error", "success", "toast",
    "metric", "expander", "popover", "status", "button", "download_button", "link_button", "toggle", "checkbox",
    "radio", "selectbox", "multiselect", "text_input", "number_input", "slider", "select_slider",
    "segmented_control", "pills", "file_uploader", "text_area", "date_input", "tabs", "form_submit_button",
    "page_link", "update",
}
#: (Besides these, the label and help of every ``st.column_config.*Column``.)
#: Widgets whose options (or what ``format_func`` makes of them) are rendered as Markdown too.
MARKDOWN_OPTIONS = {"radio", "segmented_control", "pills", "select_slider"}
#: Keyword arguments rendered as Markdown wherever they appear.
MARKDOWN_KEYWORDS = {"label", "body", "help", "caption", "captions"}
#: Calls whose result is safe text whatever their argument: the escape itself, and numbers.
ESCAPES = {"plain", "len", "int", "float", "round"}


class Checker:
    """Decides whether an expression of one module can only be text the code wrote or escaped."""

    def __init__(self, tree: ast.Module):
        self.functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        self.safe_functions: set[str] = set()
        for _ in range(3):  # functions returning the result of other safe functions
            self.safe_functions |= {name for name, node in self.functions.items() if self._returns_safe(node)}

    def _returns_safe(self, function: ast.FunctionDef) -> bool:
        returns = [n.value for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
        return bool(returns) and all(self.safe(value, function) for value in returns)

    def safe(self, node: ast.AST, scope: ast.FunctionDef | None, seen: frozenset = frozenset()) -> bool:
        """Whether ``node`` (an expression in function ``scope``) can only be text the code wrote or escaped."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Call):
            return self._safe_call(node, scope, seen)
        if isinstance(node, ast.JoinedStr):
            return all(isinstance(v, ast.Constant) or v.format_spec is not None or self.safe(v.value, scope, seen)
                       for v in node.values)
        if isinstance(node, ast.BinOp):
            return self.safe(node.left, scope, seen) and self.safe(node.right, scope, seen)
        if isinstance(node, ast.IfExp):
            return self.safe(node.body, scope, seen) and self.safe(node.orelse, scope, seen)
        if isinstance(node, (ast.List, ast.Tuple)):
            return all(self.safe(e, scope, seen) for e in node.elts)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self.safe(node.elt, scope, seen)
        if isinstance(node, ast.Lambda):
            return self.safe(node.body, scope, seen)
        if isinstance(node, ast.Name):
            return self._safe_name(node.id, scope, seen)
        # a constant table's lookup: format_func=_POLARITY.get
        return (isinstance(node, ast.Attribute) and node.attr == "get" and isinstance(node.value, ast.Name)
                and _is_constant_name(node.value.id))

    def _safe_call(self, node: ast.Call, scope, seen) -> bool:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name in ESCAPES or (isinstance(func, ast.Name) and name in self.safe_functions):
            return True
        if isinstance(func, ast.Attribute) and name == "join" and isinstance(func.value, ast.Constant):
            return all(self.safe(arg, scope, seen) for arg in node.args)
        return self.safe(func, scope, seen) and name == "get"  # an entry of a constant table

    def _safe_name(self, name: str, scope, seen) -> bool:
        if _is_constant_name(name) or name == "plain" or name in self.safe_functions:
            return True
        if scope is None or name in seen:
            return False
        values = [n.value for n in ast.walk(scope) if isinstance(n, ast.Assign)
                  for target in n.targets if isinstance(target, ast.Name) and target.id == name]
        return bool(values) and all(self.safe(v, scope, seen | {name}) for v in values)


def _is_constant_name(name: str) -> bool:
    return name.lstrip("_").isupper()


def markdown_arguments(call: ast.Call) -> list[tuple[str, ast.AST]]:
    """The arguments of a Streamlit call that Streamlit renders as Markdown."""
    method = call.func.attr
    found = [("body or label", call.args[0])] if call.args and method != "update" else []  # status.update(label=)
    if method == "write":
        found += [("argument", a) for a in call.args[1:]]
    keywords = {kw.arg: kw.value for kw in call.keywords}
    if method in MARKDOWN_OPTIONS:
        if "format_func" in keywords:
            found.append(("format_func", keywords["format_func"]))
        elif len(call.args) > 1 or "options" in keywords:
            found.append(("options", call.args[1] if len(call.args) > 1 else keywords["options"]))
    found += [(name, value) for name, value in keywords.items() if name in MARKDOWN_KEYWORDS]
    return found


def unescaped_markdown(path: Path) -> list[str]:
    """Every Markdown-rendered argument in ``path`` that could carry text from data unescaped."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    checker = Checker(tree)
    problems = []
    for scope in [None, *checker.functions.values()]:
        body = ast.walk(scope) if scope is not None else (n for n in ast.walk(tree))
        for node in body:
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and (node.func.attr in RENDERS_MARKDOWN or node.func.attr.endswith("Column"))
                    and _innermost(checker, node) is scope):
                continue
            for what, value in markdown_arguments(node):
                if not checker.safe(value, scope):
                    problems.append(f"{path.name}:{node.lineno} {node.func.attr} {what}: {ast.unparse(value)[:90]}")
    return sorted(problems, key=lambda p: int(p.split()[0].split(':')[1]))


def _innermost(checker: Checker, call: ast.Call) -> ast.FunctionDef | None:
    """The innermost function of the module holding ``call`` (None at module level)."""
    holders = [f for f in checker.functions.values() if f.lineno <= call.lineno <= f.end_lineno]
    return max(holders, key=lambda f: f.lineno) if holders else None


@pytest.mark.parametrize("module", sorted(p.name for p in UI.glob("*.py")))
def test_every_markdown_element_of_the_app_shows_data_as_plain_text(module):
    assert unescaped_markdown(UI / module) == []


def test_the_scan_finds_text_from_data_shown_as_markdown(tmp_path):
    page = tmp_path / "page.py"
    page.write_text(
        "import streamlit as st\n"
        "from atlas.plaintext import plain\n"
        "LABELS = {'a': 'A'}\n"
        "def page(meta, built):\n"
        "    st.caption(f\"Data: {meta['source_title']}\")\n"              # 5: unescaped
        "    st.caption(plain(f\"Data: {meta['source_title']}\"))\n"
        "    st.subheader(meta['label'])\n"                                # 7: unescaped
        "    title = f\"{len(built.layers)} layers\"\n"
        "    with st.expander(title):\n"
        "        st.metric(meta['label'], 3, help=meta['method'])\n"      # 10: label and help unescaped
        "    st.radio('Colour by', ['Network', meta['label']])\n"          # 11: a radio option
        "    st.radio('Colour by', ['Network', meta['label']], format_func=plain)\n"
        "    st.radio('Kind', list(LABELS), format_func=LABELS.get)\n"
        "    st.selectbox('Layer', ['a'], format_func=lambda l: meta[l])\n"  # options of a select box: plain text
        "    st.caption(caption(meta))\n"
        "def caption(meta):\n"
        "    return plain(meta['attribution'])\n")
    found = unescaped_markdown(page)
    assert [line.split()[0] for line in found] == ["page.py:5", "page.py:7", "page.py:10", "page.py:10",
                                                   "page.py:11"], found


def shown_by_markdown(text: str) -> str:
    """What Markdown shows for ``text`` when only backslash escapes and HTML entities are interpreted."""
    return html.unescape(re.sub(r"\\(.)", r"\1", text))


def active_markdown(text: str) -> list[str]:
    """Markdown image, link and math characters in ``text`` that no backslash escapes."""
    return re.findall(r"(?<!\\)[!\[\]()$]", text)


def test_district_page_captions_show_a_markdown_name_as_written():
    from atlas.ui.district_page import pcn_caption, series_caption, source_caption

    meta = {"label": MARKDOWN_NAME, "period": "$2023$", "units": "% of ![y](http://example.com/b.png)",
            "higher_is": "worse", "source_title": MARKDOWN_NAME, "publisher": "[pub](http://example.com)",
            "attribution": "$\\frac{1}{2}$", "licence": "OGL :red[v3]"}
    info = {"title": MARKDOWN_NAME, "publisher": "P $x$", "attribution": "![z](http://example.com/c.png)",
            "licence": "L"}
    for text, parts in ((pcn_caption(meta, "England $1$"), [meta["label"], meta["units"], meta["attribution"]]),
                        (series_caption(info, "Luton ![l](http://example.com/d.png)"), [info["title"],
                                                                                       info["attribution"]]),
                        (source_caption(meta), [meta["source_title"], meta["publisher"], meta["licence"]])):
        assert active_markdown(text) == [], text
        assert ":red[" not in text
        shown = shown_by_markdown(text)
        for part in parts:
            assert part in shown, (part, shown)


def test_plain_is_what_markdown_shows_back_for_every_character():
    every = "".join(chr(c) for c in range(32, 127)) + "£€é"
    assert shown_by_markdown(plain(every)) == every
    assert active_markdown(plain(MARKDOWN_NAME)) == []


def test_names_written_in_capitals_are_shown_in_title_case_others_as_written():
    from atlas.plaintext import display_name

    assert display_name("BELL HOUSE MEDICAL CENTRE") == "Bell House Medical Centre"
    assert display_name("DR S K JAIN'S PRACTICE") == "Dr S K Jain's Practice"
    assert display_name("Luton 007A") == "Luton 007A"          # mixed case: as written
    assert display_name("Medics PCN") == "Medics PCN"
    assert display_name(None) == "" and display_name(float("nan")) == ""
    assert display_name("<SCRIPT>ALERT(1)</SCRIPT>") == "<script>alert(1)</script>"  # text only; escaped where shown
