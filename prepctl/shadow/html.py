"""A self-contained HTML page of a ShadowReport (no scripts, no external assets: it opens offline
and can be attached to a CI run). Autoescaped: response values are data, never markup; and inert
(prepctl.inert): no control character or workflow command from a response reaches the file.
"""

from __future__ import annotations

import json
from typing import Any

from prepctl import secrets
from prepctl.inert import clean_value
from prepctl.shadow.render import percent, summary_line
from prepctl.shadow.report import ShadowReport

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Shadow parity: {{ r.requests_file }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font-size: .9em; }
.bad { color: #a00; } .good { color: #070; } .muted { color: #777; }
</style>
</head>
<body>
<h1>Shadow parity</h1>
<p id="summary" class="{{ 'good' if r.mismatched == 0 and r.compared else 'bad' }}">{{ summary }}</p>
<p>Match rate <strong id="match-rate">{{ match_rate }}</strong> over requests from
<code>{{ r.requests_file }}</code>.</p>
<table id="targets"><tr><th>Side</th><th>URL</th></tr>
{% for side, url in r.targets.items() %}<tr><td>{{ side }}</td><td><code>{{ url }}</code></td></tr>
{% endfor %}</table>

<h2>Differences{% if r.with_secondary %} (after noise){% endif %}</h2>
{% if r.differences %}
<table id="differences">
<tr><th>Endpoint</th><th>Field</th><th>Requests</th><th>Noise</th><th>Examples</th></tr>
{% for f in r.differences %}
<tr><td><code>{{ f.endpoint }}</code></td><td><code>{{ f.field }}</code></td>
<td>{{ f.count }} of {{ f.requests }}</td><td>{{ f.noise_count }}</td>
<td>{% for e in f.examples %}<div><code>{{ e.ref.request }}</code> <span class="muted">({{ e.ref.where }})</span>
<code>{{ e.path }}</code>: primary <code>{{ show(e.primary) }}</code>, candidate <code>{{ show(e.candidate) }}</code>
{% if e.secondary is not none %}, secondary <code>{{ show(e.secondary) }}</code>{% endif %}</div>{% endfor %}</td></tr>
{% endfor %}
</table>
{% else %}<p id="differences">No differences.</p>{% endif %}

{% if r.with_secondary %}
<h2>Noise</h2>
<p class="muted">Fields where the two primaries disagree about as often as primary and candidate;
not counted as mismatches.</p>
{% if r.noise %}
<table id="noise"><tr><th>Endpoint</th><th>Field</th><th>Primary vs candidate</th><th>Primary vs secondary</th></tr>
{% for f in r.noise %}<tr><td><code>{{ f.endpoint }}</code></td><td><code>{{ f.field }}</code></td>
<td>{{ f.count }}</td><td>{{ f.noise_count }}</td></tr>
{% endfor %}</table>
{% else %}<p id="noise">No noisy fields.</p>{% endif %}
{% endif %}

<h2>Latency</h2>
<table id="latency"><tr><th>Side</th><th>Responses</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>
{% for side, s in r.latency.items() %}<tr><td>{{ side }}</td><td>{{ s.count }}</td><td>{{ ms(s.p50_ms) }}</td>
<td>{{ ms(s.p95_ms) }}</td><td>{{ ms(s.p99_ms) }}</td></tr>
{% endfor %}</table>

<h2>Errors</h2>
{% if r.errors %}
<table id="errors"><tr><th>Side</th><th>Kind</th><th>Count</th><th>Examples</th></tr>
{% for e in r.errors %}<tr><td>{{ e.side }}</td><td>{{ e.kind }}</td><td>{{ e.count }}</td>
<td>{% for x in e.examples %}<div><code>{{ x.request }}</code> <span class="muted">({{ x.where }})</span></div>
{% endfor %}{% if e.detail %}<div class="muted">{{ e.detail }}</div>{% endif %}</td></tr>
{% endfor %}</table>
{% else %}<p id="errors">No errors.</p>{% endif %}

{% if r.mismatches %}
<h2>Mismatched requests</h2>
<table id="mismatches"><tr><th>Request</th><th>Where</th><th>Why</th></tr>
{% for m in r.mismatches %}<tr><td><code>{{ m.ref.request }}</code></td><td>{{ m.ref.where }}</td>
<td>{{ m.reasons | join("; ") }}</td></tr>
{% endfor %}</table>
{% endif %}

{% if r.skipped %}
<h2>Not replayed</h2>
<table id="skipped"><tr><th>Request</th><th>Where</th><th>Why</th></tr>
{% for s in r.skipped %}<tr><td><code>{{ s.ref.request }}</code></td><td>{{ s.ref.where }}</td>
<td>{{ s.reason }}</td></tr>
{% endfor %}</table>
{% endif %}
</body>
</html>
"""


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_html(report: ShadowReport) -> str:
    from jinja2 import Environment

    # finalize: response values reach the page without escape sequences or CI workflow commands.
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, finalize=clean_value)
    template = env.from_string(_TEMPLATE)
    page = template.render(r=report, summary=summary_line(report), match_rate=percent(report.match_rate),
                           show=_show, ms=_ms)
    return secrets.redact(page)
