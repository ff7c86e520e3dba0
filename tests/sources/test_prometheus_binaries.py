"""prepctl against the real Debian binaries (issue 15, item 7): what prepctl accepts as a
snapshot, a PromQL query or a matcher regex is what promtool and amtool accept. Where prepctl is
deliberately stricter (its fail-closed rules) or follows newer Prometheus syntax than Debian's
2.42, the table says so and both sides of the difference are asserted.

No server: the binaries run on files (so no `live` marker). A missing binary fails, naming the
Debian package (scripts/bootstrap.sh installs prometheus and prometheus-alertmanager).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from prepctl.sources.http import SourceError
from prepctl.sources.metrics.labels import LabelMatcher
from prepctl.sources.metrics.openmetrics import OpenMetricsSnapshot
from prepctl.sources.metrics.promql import PromQLError, check_template
from tests.support.live_servers import require_binary

SAME = "same"
#: prepctl refuses, promtool accepts: a prepctl rule on top of the format (fail closed).
STRICTER = "stricter"
#: prepctl (promql-parser) accepts Prometheus 3 syntax that Debian's promtool 2.42 refuses.
NEWER = "newer"

SNAPSHOTS = [
    ("plain", 'lat{a="1"} 1 1000\n# EOF\n', SAME),
    ("exemplar on a labelled counter", '# TYPE c counter\nc_total{a="1"} 1 1000 # {trace_id="x"} 1 1000\n# EOF\n',
     SAME),
    ("exemplar on an unlabelled counter", '# TYPE c counter\nc_total 1 1000 # {trace_id="x"} 1 1000\n# EOF\n', SAME),
    ("exemplar on a gauge", '# TYPE g gauge\ng{a="1"} 1 1000 # {trace_id="x"} 1 1000\n# EOF\n', SAME),
    ("duplicate labels", 'lat{a="1",a="2"} 1 1000\n# EOF\n', SAME),
    ("missing EOF", 'lat{a="1"} 1 1000\n', SAME),
    ("EOF without newline", "a 1 1000\n# EOF", SAME),
    ("text after EOF", "a 1 1000\n# EOF\na 1 2\n", SAME),
    ("unknown escape kept as is", 'lat{a="\\q"} 1 1000\n# EOF\n', SAME),
    ("escapes", 'lat{a="x\\"y\\\\z\\n"} 1 1000\n# EOF\n', SAME),
    ("unterminated label value", 'lat{a="1} 1 1000\n# EOF\n', SAME),
    ("trailing comma in labels", 'lat{a="1",} 1 1000\n# EOF\n', SAME),
    ("space in a label set", 'lat{a="1", b="2"} 1 1000\n# EOF\n', SAME),
    ("blank line", "a 1 1000\n\na 2 1060\n# EOF\n", SAME),
    ("free comment", "# hello\na 1 1000\n# EOF\n", SAME),
    ("CRLF", "a 1 1000\r\n# EOF\r\n", SAME),
    ("no timestamp", "a 1\n# EOF\n", SAME),
    ("NaN timestamp", "a 1 NaN\n# EOF\n", SAME),
    ("value not a number", "a zero 1000\n# EOF\n", SAME),
    ("NaN value (the gate calls it no evidence)", "a NaN 1000\n# EOF\n", SAME),
    ("fractional timestamp", "a 1 1000.5\n# EOF\n", SAME),
    ("HELP, TYPE", '# HELP a help\n# TYPE a gauge\na{x="1"} 1 1000\n# EOF\n', SAME),
    ("histogram", '# TYPE h histogram\nh_bucket{le="1"} 1 1000\nh_bucket{le="+Inf"} 2 1000\nh_count 2 1000\n'
     "h_sum 3 1000\n# EOF\n", SAME),
    ("unit not in the name", "# TYPE a gauge\n# UNIT a seconds\na 1 1000\n# EOF\n", SAME),
    ("name inside the braces", '{"a",x="1"} 1 1000\n# EOF\n', SAME),
    ("no samples", "# EOF\n", STRICTER),
    ("timestamp in milliseconds", "a 1 1717416000000\n# EOF\n", STRICTER),
    ("timestamp before 1970", "a 1 -60\n# EOF\n", STRICTER),
    ("families interleaved by time", "a 1 1000\nb 1 1000\na 2 1060\n# EOF\n", SAME),
    ("series interleaved by time", 'g{a="1"} 1 1000\ng{a="2"} 1 1000\ng{a="1"} 2 1060\ng{a="2"} 2 1060\n# EOF\n',
     SAME),
    # prometheus_client's histogram check refuses a classic histogram at two timestamps (known
    # limitation of 0.26): snapshot its recording rules (histogram_quantile) instead.
    ("histogram over time", '# TYPE h histogram\nh_bucket{le="1"} 1 1000\nh_bucket{le="+Inf"} 2 1000\nh_count 2 1000\n'
     'h_sum 3 1000\nh_bucket{le="1"} 2 1060\nh_bucket{le="+Inf"} 3 1060\nh_count 3 1060\nh_sum 4 1060\n'
     "# EOF\n", STRICTER),
    ("family declared twice", "# TYPE a gauge\na 1 1000\n# TYPE b gauge\nb 1 1000\n# TYPE a gauge\na 2 1060\n"
     "# EOF\n", STRICTER),
    ("timestamps going backwards", "a 1 1060\na 2 1000\n# EOF\n", STRICTER),
    ("histogram without +Inf", '# TYPE h histogram\nh_bucket{le="1"} 1 1000\nh_count 2 1000\nh_sum 3 1000\n'
     "# EOF\n", STRICTER),
    ("negative counter", "# TYPE c counter\nc_total -1 1000\n# EOF\n", STRICTER),
]


@pytest.mark.parametrize(("text", "relation"), [pytest.param(t, r, id=name) for name, t, r in SNAPSHOTS])
def test_snapshot_accept_reject_equals_promtool(tmp_path: Path, text: str, relation: str):
    promtool = require_binary("promtool", "prometheus")
    path = tmp_path / "s.om"
    path.write_text(text, encoding="utf-8", newline="")
    made = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(path), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    try:
        OpenMetricsSnapshot.parse(text, "file:s.om")
        ours = True
    except SourceError:
        ours = False
    theirs = made.returncode == 0
    if relation == SAME:
        assert ours == theirs, made.stderr
    else:
        assert (ours, theirs) == (False, True), made.stderr


QUERIES = [
    ('x{b="2",a="1"}', SAME), ("sum(", SAME), ('x{a=~"(?!info).*"}', SAME), ("x{a=~`\\d+`}", SAME),
    ("rate(x[5m]", SAME), ("x +", SAME), ("x offset -5m", SAME), ("1 +* 2", SAME), ("sum without() (x)", SAME),
    ('{a=~".*"}', SAME), ("x[5m:1m]", SAME), ("unknown_func(x)", SAME), ("rate(x)", SAME), ("x[5m]", SAME),
    ('x{a="\\q"}', SAME), ("x @ start()", SAME), ("sum by (le) (x) / on() group_left y", SAME),
    ("topk(3, x)", SAME), ('count_values("v", x)', SAME), ('x{a=~"a{2,1001}"}', SAME),
    ('x{a=~"(?<n>a)"}', SAME), ('x{__name__=~"a|b"}', SAME), ("sum(x) by (a)", SAME), ("x[1m5s]", SAME),
    ('label_replace(x, "a", "$1", "b", "(.*)")', SAME), ('x{a=~"[[:alpha:]]"}', SAME), ("x limitk", SAME),
    ('histogram_quantile(0.95, sum by (le) (rate(x_bucket{svc="api"}[5m])))', SAME),
    ('x{a="1" or b="2"}', NEWER), ("x[5]", NEWER), ("info(x)", NEWER), ("limitk(2, x)", NEWER),
]


@pytest.mark.parametrize(("query", "relation"), QUERIES)
def test_promql_validity_equals_promtool(tmp_path: Path, query: str, relation: str):
    promtool = require_binary("promtool", "prometheus")
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{"record": "x:y", "expr": query}]}]}),
                     encoding="utf-8")
    checked = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    try:
        check_template(query)
        ours = True
    except PromQLError:
        ours = False
    theirs = checked.returncode == 0
    if relation == SAME:
        assert ours == theirs, checked.stdout + checked.stderr
    else:
        assert (ours, theirs) == (True, False), checked.stdout + checked.stderr


REGEXES = ["sev0|sev1", "(?!info).*", "(?<=a)b", r"(a)\1", "a++", "a**", r"a\Z", "a{2,1001}", "a{2,1000}",
           "[a-", "(?P<n>a)", "(?<n>a)", r"\d+", "[[:alpha:]]+", "(?i)abc", r"\p{Greek}", "(?s).*", r"\z",
           "x*?", "(?U)a+", r"\Qa.b\E", r"\b", r"\A", r"[\d-z]", "", r"\C"]


@pytest.mark.parametrize("regex", REGEXES)
def test_matcher_regex_validity_equals_amtool(tmp_path: Path, regex: str):
    amtool = require_binary("amtool", "prometheus-alertmanager")
    matcher = str(LabelMatcher("severity", "=", regex)).replace("=", "=~", 1)
    config = {"route": {"receiver": "r", "routes": [{"receiver": "r", "matchers": [matcher]}]},
              "receivers": [{"name": "r"}]}
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    checked = subprocess.run([amtool, "check-config", str(path)], capture_output=True, text=True, timeout=60)
    try:
        LabelMatcher.parse(matcher)
        ours = True
    except ValueError:
        ours = False
    assert ours == (checked.returncode == 0), checked.stdout + checked.stderr
