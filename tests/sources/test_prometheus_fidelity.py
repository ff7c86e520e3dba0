"""Issue 15, item 7: snapshots read as prometheus_client reads them, queries matched by their
canonical PromQL, matchers compiled as RE2 and anchored as Prometheus anchors them."""

from __future__ import annotations

import json

import pytest

from prepctl.sources.http import SourceError
from prepctl.sources.metrics.labels import LabelMatcher, RegexError, compile_re2
from prepctl.sources.metrics.openmetrics import OpenMetricsSnapshot
from prepctl.sources.metrics.promql import PromQLError, canonical, check_template
from prepctl.sources.metrics.snapshot import load_snapshot

LABELLED_EXEMPLAR = """\
# TYPE req counter
req_total{route="a",code="200"} 7 1000 # {trace_id="abc"} 1 999.5
req_total{route="a",code="200"} 9 1060 # {trace_id="def"} 1 1059
# EOF
"""


def test_a_valid_exemplar_on_a_labelled_series_is_accepted():
    # The old regex parser took `{...} # {...}` as one label set and refused the line.
    snapshot = OpenMetricsSnapshot.parse(LABELLED_EXEMPLAR, "file:s.om")
    result = snapshot.instant('req_total{route="a"}', snapshot.now())
    assert [(dict(s.labels)["code"], s.samples[0].value) for s in result.series] == [("200", 9.0)]


@pytest.mark.parametrize(("text", "reason"), [
    # The old parser kept the last value of a repeated label; promtool refuses the sample.
    ('lat{a="1",a="2"} 1 1000\n# EOF\n', "file:s.om:1: label a appears twice"),
    ('g 1 1000\ng{a="1", b="2"} 1 1000\n# EOF\n', "file:s.om:2: whitespace inside a label set"),
    ('g 1 1000\n\ng 2 1060\n# EOF\n', "file:s.om:2: blank line"),
    ('g 1 1000\r\n# EOF\r\n', "file:s.om:1: line ends with a carriage return"),
    ('# just a comment\ng 1 1000\n# EOF\n', "file:s.om:1: not OpenMetrics text"),
    ('g 1 1000\n# EOF\ng 2 1060\n', "file:s.om:3: not OpenMetrics text (Received line after # EOF)"),
    ('# TYPE g gauge\ng{a="1"} 1 1000 # {t="x"} 1 1000\n# EOF\n', "file:s.om:2: not OpenMetrics text"),
    ('g{a="1} 1 1000\n# EOF\n', "file:s.om:1: not OpenMetrics text"),
    ('g 1 1000\ng 1 1060', "no '# EOF' line"),
    ('# TYPE g gauge\ng{a="x"} 1 1000\ng{a="y"} 1\n# EOF\n', "file:s.om:3: sample of g has no timestamp"),
    ('g{a="\\"q"} 1 1000\ng{a="\\"q"} 1 99999999999999\n# EOF\n', "file:s.om:2: timestamp '99999999999999'"),

    # prometheus_client drops the second sample of a series at one timestamp: 0 then 5 read as 0.
    ('# TYPE g gauge\ng{a="1"} 0 1000\ng{a="1"} 5 1000\n# EOF\n', "file:s.om:3: a second sample of g{a=\"1\"}"),
    ('# TYPE g gauge\ng{a="1",b="2"} 0 1000\ng{a="2"} 1 1000\ng{b="2",a="1"} 5 1000.0\n# EOF\n',
     "file:s.om:4: a second sample of g{a=\"1\",b=\"2\"}"),
    ('# TYPE g gauge\ng 0 1000\ng 5 1000\n# EOF\n', "file:s.om:3: a second sample of g at"),
])
def test_snapshots_prometheus_would_refuse_are_errors_naming_the_line(tmp_path, text, reason):
    (tmp_path / "s.om").write_text(text, encoding="utf-8", newline="")
    with pytest.raises(SourceError) as caught:
        load_snapshot(tmp_path, "s.om")
    assert reason in str(caught.value)


def test_a_snapshot_ordered_by_time_is_read_as_promtool_reads_it():
    # prometheus_client alone wants each series' samples together; promtool does not.
    text = 'g{a="1"} 1 1000\ng{a="2"} 5 1000\ng{a="1"} 2 1060\ng{a="2"} 6 1060\n# EOF\n'
    snapshot = OpenMetricsSnapshot.parse(text, "file:s.om")
    assert {dict(k)["a"]: [(p.timestamp, p.value) for p in v] for k, v in snapshot.series.items()} == {
        "1": [(1000.0, 1.0), (1060.0, 2.0)], "2": [(1000.0, 5.0), (1060.0, 6.0)]}
    with pytest.raises(SourceError, match="file:s.om:3: "):
        OpenMetricsSnapshot.parse(text.replace("g{a=\"1\"} 2 1060", "g{a=\"1\"} 2 900"), "file:s.om")


def test_escaped_label_values_and_nan_values_are_read_as_prometheus_reads_them(tmp_path):
    text = 'g{a="x\\"y\\\\z\\n"} 1 1000\ng{a="b"} NaN 1000\n# EOF\n'
    snapshot = OpenMetricsSnapshot.parse(text, "file:s.om")
    values = {dict(s.labels)["a"]: s.samples[0].value for s in snapshot.instant("g", 1000).series}
    assert values["x\"y\\z\n"] == 1.0
    assert values["b"] != values["b"]  # NaN reaches the gate, which calls it no evidence (error)


@pytest.mark.parametrize(("saved", "asked"), [
    ('x{a="1",b="2"}', 'x{b="2",a="1"}'),
    ('sum by (job) (rate(x{b="2", a="1"}[5m]))', 'sum by(job)(rate(x{a="1",b="2"}[5m]))'),
    ("x{a='1'}", 'x{a="1"}'),
    ('x{a=~"5.."}', "x{a=~`5..`}"),
])
def test_saved_answers_match_regardless_of_label_order_and_whitespace(tmp_path, saved, asked):
    assert canonical(saved) == canonical(asked)
    body = {"captured_at": "2024-06-03T12:00:00Z", "queries": [{"query": saved, "response": {
        "status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {}, "value": [1717416000, "0.5"]}]}}}]}
    (tmp_path / "saved.json").write_text(json.dumps(body), encoding="utf-8")
    snapshot = load_snapshot(tmp_path, "saved.json")
    assert snapshot.instant(asked, snapshot.now()).series[0].samples[0].value == 0.5


@pytest.mark.parametrize(("one", "other"), [
    ('x{a="1"}', 'x{a="2"}'),
    ('x{a="1 2"}', 'x{a="12"}'),  # whitespace inside a string is not layout
    ('x{a="1"}', 'x{a!="1"}'),
    ("sum by (a) (x)", "sum without (a) (x)"),
    # Whitespace between two words is a separator, not layout: these name other metrics.
    ("x offset 5m", "xoffset5m"),
    ("x and y", "xandy"),
    ("x or y", "xory"),
    ("x unless y", "xunlessy"),
    ("x > bool 1", "x > bool1"),
    ("sum by (a) (x)", "sumby(a)(x)"),
])
def test_different_queries_stay_different(one, other):
    assert canonical(one) != canonical(other)


@pytest.mark.parametrize("query", [
    'rate(x{svc="${svc}"}[${window}])',
    "x > ${threshold}",
    "${metric}_total",
    'sum(rate(x[${window}:${step}]))',
    'x offset ${window}',
])
def test_placeholders_stand_in_as_dummies_not_errors(query):
    check_template(query)


@pytest.mark.parametrize(("query", "reason"), [
    ("sum(", "unclosed left parenthesis"),
    ('x{a=~"(?!info).*"}', "regex"),
    ('rate(x{svc="${svc}"}[5m]', "unclosed"),
    ('x{a=~"(?<n>b)"}', "not RE2 syntax"),
])
def test_malformed_promql_is_refused(query, reason):
    with pytest.raises(PromQLError) as caught:
        check_template(query)
    assert reason in str(caught.value)


@pytest.mark.parametrize(("pattern", "text", "matches"), [
    ("a|b", "a", True),
    ("a|b", "ab", False),  # anchored: ^(?:a|b)$, not "a, or b at the end"
    ("b", "abc", False),
    (".*", "x\ny", False),  # `.` does not match a newline (Go regexp's default)
    ("(?s).*", "x\ny", True),
    ("sev[01]", "sev1", True),
])
def test_matchers_are_anchored_like_prometheus(pattern, text, matches):
    assert LabelMatcher("l", "=~", pattern).matches({"l": text}) is matches
    assert LabelMatcher("l", "!~", pattern).matches({"l": text}) is not matches


@pytest.mark.parametrize("pattern", ["(?!info).*", "(?<=a)b", r"(a)\1", "a++", r"a\Z", r"\C", "(?<n>a)",
                                     "a{2,1001}", "[a-",
                                     # Wrapped as ^(?:a)|(b)$ by Alertmanager it matches "axyz" and
                                     # "zzb"; prepctl's local filter matched neither (a false pass).
                                     "a)|(b", "sev0)|.*|(x", "(?:a))|((b"])
def test_non_re2_regexes_are_refused(pattern):
    with pytest.raises(RegexError):
        compile_re2(pattern)
    with pytest.raises(ValueError, match="bad regular expression"):
        LabelMatcher.parse(str(LabelMatcher("severity", "=", pattern)).replace("=", "=~", 1))


def test_validate_names_the_line_of_a_malformed_query_and_a_non_re2_matcher(tmp_path, cli):
    from tests.support.live_servers import slo, write_live_plan

    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:s.om"}, "alertmanager": {"url": "http://127.0.0.1:1"}},
                           criteria=[slo([{"name": "q", "query": "sum(rate(x[5m])", "pass": "< 1"}]),
                                     {"id": "inc", "kind": "incidents", "title": "t",
                                      "matchers": ['service="api"', 'severity=~"(?!info).*"']}])
    result = cli("-c", path, "validate")
    assert result.code == 2
    lines = path.read_text().splitlines()
    query_line = next(i for i, line in enumerate(lines, 1) if "query: sum(rate" in line)
    matcher_line = next(i for i, line in enumerate(lines, 1) if "(?!info)" in line)
    assert f"phases.yaml:{query_line}:" in result.stderr
    assert "query is not valid PromQL: unclosed left parenthesis" in result.stderr
    assert f"phases.yaml:{matcher_line}:" in result.stderr and "invalid perl operator" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_accepts_templated_queries(tmp_path, cli):
    from tests.support.live_servers import slo, write_live_plan

    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:s.om"}}, criteria=[slo([
        {"name": "rate", "query": 'sum(rate(http_requests_total{service="${svc}", code=~"5.."}[${window}]))',
         "window": "1h", "aggregate": "max", "pass": "< 1"},
        {"name": "threshold", "query": "x > ${limit}", "pass": "< 1"},
        # An escaped backslash inside the string is fine: the value leaves the string open.
        {"name": "route", "query": 'x{route=~"${route}"}', "pass": "< 1"}],
        vars={"svc": "api", "limit": "3", "route": '/api/\\\\d+|a\\"b'})])
    result = cli("-c", path, "validate")
    assert result.code == 0, result.stderr


def test_a_regex_that_escapes_its_anchoring_names_the_reason():
    with pytest.raises(RegexError, match=r"unbalanced parentheses.*\^\(\?:a\)\|\(b\)\$"):
        compile_re2("a)|(b")
    with pytest.raises(PromQLError, match="unbalanced parentheses"):
        check_template('up{job=~"a)|(b"}')


@pytest.mark.parametrize(("query", "value", "reason"), [
    # A quote in a value ends the string: the filled query became `x{svc="api"} or vector(0) ...`,
    # which answers 0 whatever the service does.
    ('x{svc="${svc}"}', 'api"} or vector(0) or x{svc="', "vars.svc ends the quoted string"),
    ("x{svc='${svc}'}", "a'b", "vars.svc ends the quoted string"),
    ('x{svc="${svc}"}', "a\\", "vars.svc ends the quoted string"),
    ('x{svc=~"${svc}"}', "a)|(b", "unbalanced parentheses"),
    ("x > ${limit}", "3 or vector(0", "must be one number, duration or name"),
    # Parses once filled, and turns the objective into a constant: refused before it runs.
    ("x > ${limit}", "3 or vector(0)", "must be one number, duration or name"),
    ("x > ${limit}", "0 unless x", "must be one number, duration or name"),
    ("rate(x[${window}])", "5m] or vector(0) or x[5m", "must be one number, duration or name"),
    ("${svc}_total", "up or vector(1)", "must be one number, duration or name"),
    ("rate(x[${window}])", "abc", "not valid PromQL once vars are filled in"),
])
def test_vars_that_change_the_query_s_shape_are_refused(tmp_path, cli, query, value, reason):
    from tests.support.live_servers import slo, write_live_plan

    name = next(n for n in ("svc", "limit", "window") if "${" + n + "}" in query)
    path = write_live_plan(tmp_path, {"prometheus": {"url": "file:s.om"}}, criteria=[slo([
        {"name": "q", "query": query, "pass": "< 1"}], vars={name: value})])
    result = cli("-c", path, "validate")
    assert result.code == 2, result.stdout + result.stderr
    assert reason in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("query", "variables"), [
    ("x > ${limit}", {"limit": "0.5"}),
    ("x > ${limit}", {"limit": "-1"}),
    ("x > ${limit}", {"limit": "1e3"}),
    ("rate(x[${window}])", {"window": "1h30m"}),
    ("sum by (${label}) (x)", {"label": "job"}),
    ("${metric}", {"metric": "http:requests:rate5m"}),
    ('x{svc="${svc}"} > ${limit}', {"svc": "a b or c", "limit": "2"}),  # inside quotes: any text
])
def test_one_token_values_outside_quotes_are_accepted(query, variables):
    from prepctl.sources.metrics.promql import check_rendered

    check_rendered(query, variables)
