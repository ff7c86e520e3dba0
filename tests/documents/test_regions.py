"""Generated regions in hand-written files, and `prepctl render runbook` on RUNBOOK.md."""

from __future__ import annotations

import pytest

from prepctl.sources import regions
from prepctl.sources.regions import RegionError
from tests.support.cli import run_cli
from tests.support.documents import RUNBOOK, make_project

BEGIN = "<!-- prepctl:begin {} -->"
END = "<!-- prepctl:end {} -->"


def test_update_replaces_only_region_bodies_and_keeps_every_other_byte():
    text = ("intro  \n\n" + BEGIN.format("a") + "\nold a\n" + END.format("a") + "\nmiddle\ttabs\n"
            + BEGIN.format("b") + "\nold b\n" + END.format("b") + "\ntail without newline")
    new = regions.update(text, {"a": "new a\n", "b": "new b"})
    assert new == text.replace("old a", "new a").replace("old b", "new b")


def test_missing_region_is_appended_after_existing_text():
    new = regions.update("hand text", {"x": "generated"})
    assert new == "hand text\n\n" + BEGIN.format("x") + "\ngenerated\n" + END.format("x") + "\n"
    # and a second update finds it in place instead of appending again
    assert regions.update(new, {"x": "generated"}) == new


def test_regions_not_rendered_are_left_alone():
    text = BEGIN.format("old") + "\nkeep\n" + END.format("old") + "\n"
    assert regions.update(text, {"new": "n"}).startswith(text)


def test_crlf_files_stay_crlf():
    text = "a\r\n" + BEGIN.format("r") + "\r\nold\r\n" + END.format("r") + "\r\nb\r\n"
    new = regions.update(text, {"r": "one\ntwo\n"})
    assert new == "a\r\n" + BEGIN.format("r") + "\r\none\r\ntwo\r\n" + END.format("r") + "\r\nb\r\n"


def test_markers_inside_code_fences_are_not_regions():
    text = "```\n" + BEGIN.format("shown") + "\n```\n" + BEGIN.format("r") + "\nx\n" + END.format("r") + "\n"
    assert list(regions.parse(text).regions) == ["r"]


# Marker syntax that is code or a comment is text: the region "a" is not there, so it is
# appended and every byte of the original survives as its prefix.
@pytest.mark.parametrize("text", [
    pytest.param("x\n\n    " + BEGIN.format("a") + "\n    keep\n    " + END.format("a") + "\n", id="indented-code"),
    pytest.param("\t" + BEGIN.format("a") + "\n\tkeep\n\t" + END.format("a") + "\n", id="tab-indented-code"),
    pytest.param("<!--\n" + BEGIN.format("a") + "\nkeep\n" + END.format("a") + "\n-->\n", id="nested-comment"),
    pytest.param("<!-- old notes:\n" + BEGIN.format("a") + "\nkeep\n-->\n", id="multi-line-comment"),
    pytest.param("<!-- old <!-- note -->\n\n" + BEGIN.format("a") + "\nkeep\n" + END.format("a") + "\n\n-->\n",
                 id="comment-left-open-by-a-nested-one"),
    pytest.param("<pre>\n" + BEGIN.format("a") + "\nkeep\n" + END.format("a") + "\n</pre>\n", id="pre-block"),
    pytest.param("> ```\n> " + BEGIN.format("a") + "\n> ```\n", id="fence-in-blockquote"),
    pytest.param("Write `" + BEGIN.format("a") + "` on a line.\n", id="inline-code"),
    pytest.param("~~~\n" + BEGIN.format("a") + "\nkeep\n" + END.format("a") + "\n~~~\n", id="tilde-fence"),
])
def test_markers_in_code_or_comments_are_text(text):
    assert regions.parse(text).regions == {}
    new = regions.update(text, {"a": "new"})
    assert new.startswith(text)
    assert regions.bodies_of(new) == {"a": "new\n"}


@pytest.mark.parametrize("sep", ["\f", "\u2028", "\u2029", "\x85", "\v"])
def test_only_lf_crlf_and_cr_end_a_line(sep):
    # str.splitlines() would split here and make the marker a line of its own.
    text = "notes" + sep + BEGIN.format("a") + "\nkeep\n" + END.format("a") + "\n"
    assert regions.split_lines(text) == ["notes" + sep + BEGIN.format("a") + "\n", "keep\n",
                                         END.format("a") + "\n"]
    with pytest.raises(RegionError) as info:
        regions.update(text, {"a": "new"}, file="RUNBOOK.md")
    assert info.value.problems[0].line == 1


def test_markers_inside_a_details_block_still_count():
    text = "<details>\n" + BEGIN.format("a") + "\nold\n" + END.format("a") + "\n</details>\n"
    assert regions.update(text, {"a": "new"}) == text.replace("old", "new")


@pytest.mark.parametrize("text", [
    "\ufeff" + BEGIN.format("a") + "\r\nold\r\n" + END.format("a") + "\r\ntail \t ",
    "\ufeffhead\rmore\r" + BEGIN.format("a") + "\rold\r" + END.format("a"),
])
def test_bom_cr_and_no_final_newline_are_kept(text):
    new = regions.update(text, {"a": "new"})
    assert new == text.replace("old", "new")


@pytest.mark.parametrize("text", ["```\ncode\n", "<!-- never closed\n"])
def test_appending_into_an_unclosed_fence_or_comment_is_refused(text):
    # The appended markers would be code or comment text: every render would append again.
    with pytest.raises(RegionError, match="would not read back"):
        regions.update(text, {"a": "new"})


def test_generated_body_that_opens_a_fence_is_refused():
    with pytest.raises(RegionError, match="would not read back"):
        regions.update(BEGIN.format("a") + "\nold\n" + END.format("a") + "\n", {"a": "```\nopen"})


@pytest.mark.parametrize(("text", "line", "words"), [
    (BEGIN.format("a") + "\nbody\n", 1, "never closed"),
    ("x\n" + END.format("a") + "\n", 2, "without a begin"),
    (BEGIN.format("a") + "\n" + BEGIN.format("b") + "\n" + END.format("b") + "\n" + END.format("a"), 2,
     "begins inside region 'a'"),
    (BEGIN.format("a") + "\n" + END.format("b") + "\n", 2, "while region 'a'"),
    (BEGIN.format("a") + "\n" + END.format("a") + "\n\n" + BEGIN.format("a") + "\n" + END.format("a"), 4,
     "duplicate region 'a' (first at line 1)"),
    ("text <!-- prepctl:begin a --> more\n", 1, "malformed prepctl marker"),
    ("para\nline two <!-- prepctl:end a -->\n", 2, "malformed prepctl marker"),
    (BEGIN.format("a") + " trailing\n", 1, "malformed prepctl marker"),
])
def test_bad_markers_are_errors_with_file_and_line(text, line, words):
    with pytest.raises(RegionError) as info:
        regions.update(text, {"a": "x"}, file="RUNBOOK.md")
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == ("RUNBOOK.md", line)
    assert words in problem.message


def test_generated_text_may_not_contain_markers():
    with pytest.raises(RegionError, match="contains a prepctl marker"):
        regions.update("", {"a": "evil\n" + END.format("a") + "\n"})


def test_without_bodies_empties_only_the_named_regions():
    text = BEGIN.format("a") + "\n1\n" + END.format("a") + "\n" + BEGIN.format("b") + "\n2\n" + END.format("b") + "\n"
    assert regions.without_bodies(text, {"a"}) == text.replace("\n1\n", "\n")


# ---------------------------------------------------------------- render runbook (CLI)


def test_runbook_regions_are_appended_and_hand_edits_survive_ten_renders(tmp_path):
    project = make_project(tmp_path, git=False)
    runbook = project.mono / "RUNBOOK.md"
    first = run_cli("-c", project.plan, "render", "runbook")
    assert first.code == 0, first.stderr
    text = runbook.read_text(encoding="utf-8")
    assert text.startswith(RUNBOOK)  # the hand-written file is kept as the prefix
    for name in ("analytics", "compliance"):
        assert BEGIN.format(name) in text and END.format(name) in text
    assert "## Analytics API: outage handling" in text
    assert "`ANALYTICS_ON=false`" in text
    assert "`AnalyticsDown`" in text
    # Hand edits everywhere outside the regions: before, between and after them.
    edited = text.replace("Hand-written intro. Keep me.", "Hand-written intro, edited.  \t")
    edited = edited.replace(BEGIN.format("compliance"), "A note between regions.\n\n" + BEGIN.format("compliance"))
    edited += "\nTrailing notes, no newline at the end"
    runbook.write_bytes(edited.encode("utf-8"))
    # The same function `render runbook` calls, in-process to keep the test fast; the CLI
    # renders before and after.
    from prepctl.documents import output
    from prepctl.documents.runbook import render_runbook

    names = {"analytics", "compliance"}
    hand_written = regions.without_bodies(edited, names)
    plan_text = project.plan.read_text(encoding="utf-8")
    for i in range(10):
        # Each render really rewrites a region (the alert name changes), the rest must not move.
        project.plan.write_text(plan_text.replace("alerts: [AnalyticsDown]", f"alerts: [AnalyticsDown{i}]"),
                                encoding="utf-8")
        planned = render_runbook(project.load())
        assert planned.path == runbook and planned.changed
        output.write(planned)
        now = runbook.read_bytes().decode("utf-8")
        assert f"- `AnalyticsDown{i}`" in now
        assert regions.without_bodies(now, names) == hand_written
    project.plan.write_text(plan_text, encoding="utf-8")
    result = run_cli("-c", project.plan, "render", "runbook")
    assert result.code == 0 and "wrote" in result.stdout, result.stderr
    assert runbook.read_bytes() == edited.encode("utf-8")


def test_runbook_region_content_is_regenerated_and_check_reports_a_diff(tmp_path):
    project = make_project(tmp_path, git=False)
    runbook = project.mono / "RUNBOOK.md"
    assert run_cli("-c", project.plan, "render", "runbook").code == 0
    fresh = run_cli("-c", project.plan, "render", "runbook", "--check")
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    assert "up to date" in fresh.stdout
    tampered = runbook.read_text(encoding="utf-8").replace("1. Primary on-call", "1. Nobody")
    runbook.write_text(tampered, encoding="utf-8")
    stale = run_cli("-c", project.plan, "render", "runbook", "--check")
    assert stale.code == 1
    assert "--- a/RUNBOOK.md" in stale.stdout and "+++ b/RUNBOOK.md" in stale.stdout
    assert "-1. Nobody" in stale.stdout and "+1. Primary on-call" in stale.stdout
    assert runbook.read_text(encoding="utf-8") == tampered  # --check writes nothing
    assert run_cli("-c", project.plan, "render", "runbook").code == 0
    assert "1. Primary on-call" in runbook.read_text(encoding="utf-8")


def test_check_on_a_runbook_without_regions_is_stale(tmp_path):
    project = make_project(tmp_path, git=False)
    result = run_cli("-c", project.plan, "render", "runbook", "--check")
    assert result.code == 1
    assert "+<!-- prepctl:begin analytics -->" in result.stdout


@pytest.mark.parametrize("broken", [
    RUNBOOK + BEGIN.format("analytics") + "\nold\n",
    RUNBOOK + BEGIN.format("analytics") + "\n" + END.format("analytics") + "\n" + BEGIN.format("analytics")
    + "\n" + END.format("analytics") + "\n",
])
def test_unbalanced_or_duplicated_markers_leave_the_file_untouched(tmp_path, broken):
    project = make_project(tmp_path, git=False)
    runbook = project.mono / "RUNBOOK.md"
    runbook.write_text(broken, encoding="utf-8")
    before = runbook.stat()
    result = run_cli("-c", project.plan, "render", "runbook")
    assert result.code == 2
    assert f"{runbook}:" in result.stderr and "Traceback" not in result.stderr
    assert runbook.read_text(encoding="utf-8") == broken
    assert runbook.stat().st_mtime_ns == before.st_mtime_ns
    assert not list(runbook.parent.glob(".RUNBOOK.md.*"))  # no temp file left behind


def test_out_dash_prints_and_writes_nothing(tmp_path):
    project = make_project(tmp_path, git=False)
    result = run_cli("-c", project.plan, "render", "runbook", "--out", "-")
    assert result.code == 0, result.stderr
    assert result.stdout.startswith(RUNBOOK)
    assert BEGIN.format("analytics") in result.stdout
    assert (project.mono / "RUNBOOK.md").read_text(encoding="utf-8") == RUNBOOK


def test_root_option_picks_the_runbook_of_another_checkout(tmp_path):
    project = make_project(tmp_path, git=False)
    other = tmp_path / "other-checkout"
    other.mkdir()
    (other / "RUNBOOK.md").write_text("# Other\n", encoding="utf-8")
    result = run_cli("-c", project.plan, "--root", other, "render", "runbook")
    assert result.code == 0, result.stderr
    assert BEGIN.format("analytics") in (other / "RUNBOOK.md").read_text(encoding="utf-8")
    assert (project.mono / "RUNBOOK.md").read_text(encoding="utf-8") == RUNBOOK


def test_runbook_html_is_self_contained(tmp_path):
    project = make_project(tmp_path, git=False)
    out = tmp_path / "runbook.html"
    result = run_cli("-c", project.plan, "render", "runbook", "--format", "html", "--out", out)
    assert result.code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "<h2>Analytics API: outage handling</h2>" in html
    assert "&lt;!-- prepctl" not in html and "<!-- prepctl" not in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_runbook_without_services_is_a_clear_error(tmp_path):
    project = make_project(tmp_path, git=False)
    text = project.plan.read_text(encoding="utf-8")
    project.plan.write_text(text[:text.index("services:")], encoding="utf-8")
    result = run_cli("-c", project.plan, "render", "runbook")
    assert result.code == 2
    assert "no services" in result.stderr and "Traceback" not in result.stderr


def test_unknown_slo_reference_in_services_is_a_config_error(tmp_path):
    project = make_project(tmp_path, git=False)
    text = project.plan.read_text(encoding="utf-8").replace("phase-1/service-exists", "phase-1/service-exist")
    project.plan.write_text(text, encoding="utf-8")
    result = run_cli("-c", project.plan, "validate")
    assert result.code == 2
    line = text.splitlines().index("    slos: [phase-1/service-exist]") + 1
    assert f"phases.yaml:{line}" in result.stderr
    assert "did you mean 'phase-1/service-exists'" in result.stderr


@pytest.mark.parametrize(("text", "line"), [
    ("# Deploy\n\n<!-- prepctl:begin a -->\n<!-- prepctl:end a -->\n\n```text\n$ helm history x\n", 6),
    ("# Runbook\n\nlog:\n<pre>\nERROR 42", 4),
    ("\ufeffnotes\r\n\r\n<!-- draft\r\nnot finished\r\n", 3),
    # Nested comments leave the outer one open as the author sees it (no Markdown block is open).
    ("# Runbook\n\n<!-- old notes:\n<!-- inner -->\nstill commented out\n", 3),
])
def test_an_unclosed_fence_or_comment_at_the_end_is_named_by_its_line(text, line):
    # Corpus case deploy-unclosed-fence: the refusal named the file but not the line to fix.
    with pytest.raises(RegionError, match="would not read back") as caught:
        regions.update(text, {"a": "new", "b": "appended"})
    assert caught.value.problems[0].line == line
    # A fence left open inside a list item ends with the item: an appended region is fine there.
    assert regions.open_block_at_end("- step\n\n  ```sh\n  run this\n") is None


@pytest.mark.parametrize("front", [
    "---\ntitle: Payments runbook\ndescription: sections between <!-- prepctl:begin NAME --> lines\n---\n",
    "\ufeff---\r\ntitle: x\r\n<!-- prepctl:begin a -->\r\n<!-- prepctl:end a -->\r\n...\r\n",
])
def test_marker_syntax_in_yaml_front_matter_is_text(front):
    # Corpus case mlflow-skill-frontmatter: a pair in the front matter was a region (a render wrote
    # Markdown into the YAML), and the syntax in a front-matter value refused the whole file.
    text = front + "\n# Runbook\n"
    assert regions.parse(text).regions == {}
    new = regions.update(text, {"a": "generated"})
    assert new.startswith(text) and regions.parse(new).regions["a"].body in ("generated\n", "generated\r\n")
    # Not front matter: a thematic break that is never closed, or one followed by a heading.
    pair = BEGIN.format("a") + "\n" + END.format("a") + "\n"
    assert "a" in regions.parse("---\n\n" + pair).regions
    assert "a" in regions.parse("---\n# Runbook\n\n" + pair + "\n---\n\nmore\n").regions


@pytest.mark.parametrize("indent", ["    ", "\t", "  \t"])
def test_a_region_four_columns_in_is_refused_naming_its_line(indent):
    # Corpus probe: a region inside a 4-space list item was refused without a line ("would not
    # read back: malformed"): the generated text ends the item and the end marker becomes code.
    text = f"1.  Step\n\n{indent}{BEGIN.format('a')}\n{indent}{END.format('a')}\n\n2.  Next\n"
    with pytest.raises(RegionError, match="indented 4 columns") as caught:
        regions.update(text, {"a": "## generated\n"})
    assert caught.value.problems[0].line == 3
    # Two spaces in (a "- " list item) still works: the end marker stays an HTML block.
    two = text.replace(indent, "  ")
    assert regions.parse(regions.update(two, {"a": "## generated\n"})).regions["a"].body == "## generated\n"


@pytest.mark.parametrize(("text", "line"), [
    ("> Note\n>\n> " + BEGIN.format("a") + "\n> " + END.format("a") + "\n", 3),
    ("text\n\n> > " + BEGIN.format("a") + "\n", 3),
])
def test_a_region_inside_a_block_quote_is_refused_saying_so(text, line):
    # Corpus probe: a runbook with its region in a block quote got "malformed prepctl marker" and
    # the hint to put the syntax in `code`, as if the marker were a typo.
    with pytest.raises(RegionError, match="inside a block quote") as caught:
        regions.update(text, {"a": "generated"})
    assert caught.value.problems[0].line == line
    with pytest.raises(RegionError, match="malformed prepctl marker"):
        regions.update("> see " + BEGIN.format("a") + " here\n", {"a": "generated"})


def test_a_marker_line_that_continues_a_paragraph_is_refused_saying_so():
    # Corpus probe: an MkDocs admonition ("!!! note" then 4-space lines) holding a region got
    # "a marker must be a line of its own", though it is one: Markdown joins it to the text above.
    text = "!!! note\n    " + BEGIN.format("a") + "\n    " + END.format("a") + "\n"
    with pytest.raises(RegionError, match="continues the paragraph") as caught:
        regions.update(text, {"a": "generated"})
    assert caught.value.problems[0].line == 2
    with pytest.raises(RegionError, match="malformed prepctl marker"):
        regions.update("see " + BEGIN.format("a") + " here\n", {"a": "generated"})
