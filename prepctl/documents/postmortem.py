"""`prepctl render postmortem PHASE`: a post-mortem pre-filled from gate history.

The timeline is what the recorded `prepctl gate` runs saw: when each criterion first failed,
first passed, regressed and recovered. The measured impact comes from the metrics any gate
recorded in its evidence (an SLO's series, open defects, active alerts).
What went well or badly and the action items start from those facts; people add the rest
outside the generated regions, and re-rendering keeps what they wrote.

Runs of `gate --at REV` are left out: they evaluate the past, they did not observe it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prepctl.documents import output
from prepctl.documents.engine import Renderer, md_text
from prepctl.documents.output import DocFormat, Planned
from prepctl.documents.views import DateRange, phase_dates, recorded_metrics, value_text
from prepctl.errors import PrepctlError, Problem
from prepctl.history import Run, read_runs
from prepctl.plan.model import LoadedPlan, Phase
from prepctl.verdicts import Metric, Status

TEMPLATE = "postmortem.md.j2"
DEFAULT_DIR = "docs/postmortems"
_BAD = (Status.FAIL, Status.ERROR)
_GOOD = (Status.PASS, Status.WARN)


def minute(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class TimelineEvent:
    time: str
    subject: str  # criterion id, or "phase"
    title: str
    event: str
    status: str
    summary: str
    revision: str


@dataclass(frozen=True)
class CriterionStory:
    id: str
    title: str
    first_failed: str
    first_passed: str
    regressions: int
    errors: int
    runs: int
    latest_status: str
    latest_summary: str
    hours_to_pass: float | None


@dataclass(frozen=True)
class MetricSeries:
    criterion: str
    label: str
    points: int
    minimum: str
    maximum: str
    latest: str
    expected: str


@dataclass(frozen=True)
class MeasuredImpact:
    """A criterion that recorded metrics (an SLO's series, open defects, active alerts...)."""

    criterion: str
    title: str
    runs: int
    bad_runs: int
    first_bad: str
    last_bad: str
    latest_status: str
    series: tuple[MetricSeries, ...]


@dataclass(frozen=True)
class PostmortemView:
    plan_name: str
    phase: str
    title: str
    incident: str
    owners: tuple[str, ...]
    dates: DateRange
    window: str
    runs: int
    first_run: str
    last_run: str
    timeline: tuple[TimelineEvent, ...]
    stories: tuple[CriterionStory, ...]
    measured: tuple[MeasuredImpact, ...]
    went_well: tuple[str, ...]
    went_badly: tuple[str, ...]
    actions: tuple[str, ...]
    lessons: tuple[str, ...]


def _timeline(phase: Phase, runs: list[Run]) -> tuple[list[TimelineEvent], list[CriterionStory]]:
    titles = {c.id: c.title for c in phase.criteria}
    events: list[TimelineEvent] = []
    stories: list[CriterionStory] = []
    subjects = ["phase", *titles]
    for subject in subjects:
        last: Status | None = None
        seen_good = seen_bad = False
        first_failed = first_passed = ""
        first_bad_time: datetime | None = None
        hours: float | None = None
        regressions = errors = count = 0
        latest_summary, latest_status = "", ""
        for run in runs:
            recorded = run.phase(phase.id)
            if recorded is None:
                continue
            if subject == "phase":
                status, summary, title = recorded.status, f"phase {recorded.status.value}", phase.title
            else:
                crit = next((c for c in recorded.criteria if c.id == subject), None)
                if crit is None:
                    continue
                status, summary, title = crit.status, crit.summary, titles[subject]
            count += 1
            latest_status, latest_summary = status.value, summary
            errors += status is Status.ERROR
            event = None
            if status in _BAD:
                if seen_good and last in _GOOD:
                    event, regressions = "regressed", regressions + 1
                elif not seen_bad:
                    event = "first failed" if status is Status.FAIL else "first failed (error: no evidence)"
                    first_failed = minute(run.time)
                    first_bad_time = run.time
                seen_bad = True
            elif status in _GOOD:
                if not seen_good:
                    event = "first passed"
                    first_passed = minute(run.time)
                    if first_bad_time is not None:
                        hours = round((run.time - first_bad_time).total_seconds() / 3600, 1)
                elif last in _BAD:
                    event = "recovered"
                seen_good = True
            if status is not Status.SKIP:
                last = status
            if event:
                events.append(TimelineEvent(minute(run.time), subject, value_text(title), event,
                                            status.value, value_text(summary), (run.revision or "")[:10]))
        if subject != "phase":
            stories.append(CriterionStory(subject, value_text(titles[subject]), first_failed, first_passed,
                                          regressions, errors, count, latest_status or "not recorded",
                                          value_text(latest_summary), hours))
    events.sort(key=lambda e: (e.time, subjects.index(e.subject)))
    return events, stories


def _measured_impact(phase: Phase, runs: list[Run]) -> list[MeasuredImpact]:
    impacts = []
    for spec in phase.criteria:
        seen: list[tuple[datetime, Status]] = []
        series: dict[str, list[Metric]] = {}
        for run in runs:
            recorded = run.phase(phase.id)
            crit = next((c for c in recorded.criteria if c.id == spec.id), None) if recorded else None
            if crit is None:
                continue
            seen.append((run.time, crit.status))
            for metric in recorded_metrics(crit.evidence):
                series.setdefault(metric.name, []).append(metric)
        if not series:
            continue
        bad = [t for t, s in seen if s in (Status.FAIL, Status.ERROR, Status.WARN)]
        impacts.append(MeasuredImpact(
            criterion=spec.id, title=value_text(spec.title), runs=len(seen), bad_runs=len(bad),
            first_bad=minute(bad[0]) if bad else "", last_bad=minute(bad[-1]) if bad else "",
            latest_status=seen[-1][1].value,
            series=tuple(MetricSeries(spec.id, value_text(name), len(points), f"{min(m.value for m in points):.6g}",
                                      f"{max(m.value for m in points):.6g}", f"{points[-1].value:.6g}",
                                      value_text(points[-1].objective))
                         for name, points in sorted(series.items()))))
    return impacts


def build_view(plan: LoadedPlan, phase: Phase, runs: list[Run], incident: str | None,
               since: datetime | None, until: datetime | None) -> PostmortemView:
    timeline, stories = _timeline(phase, runs)
    measured = _measured_impact(phase, runs)
    went_well, went_badly, actions, lessons = [], [], [], []
    for story in stories:
        if story.first_passed and story.regressions == 0 and story.latest_status in ("pass", "warn"):
            if story.first_failed:
                went_well.append(f"`{story.id}` reached pass ({story.first_passed}) and never regressed.")
            else:
                went_well.append(f"`{story.id}` passed from the first recorded run and never regressed.")
        if story.regressions:
            went_badly.append(f"`{story.id}` regressed {story.regressions} time(s) after passing.")
            lessons.append(f"`{story.id}` regressed: guard it in CI (`prepctl gate {phase.id}` on every "
                           "merge) so the next extraction catches it on the change that breaks it.")
        if story.errors:
            went_badly.append(f"`{story.id}` could not be evaluated in {story.errors} of {story.runs} runs "
                              "(error: its evidence was unavailable).")
        if story.latest_status in ("fail", "error"):
            # Markdown built here: the titles and summaries in it are escaped here, not in the template.
            actions.append(f"Make `{story.id}` pass ({md_text(story.title)}): now {story.latest_status}, "
                           f"{md_text(story.latest_summary)}")
        elif story.latest_status == "not recorded":
            actions.append(f"Evaluate `{story.id}` ({md_text(story.title)}): no recorded run has it.")
    slow = sorted((s for s in stories if s.hours_to_pass), key=lambda s: -(s.hours_to_pass or 0))
    if slow:
        worst = slow[0]
        lessons.append(f"`{worst.id}` took longest from first failure to pass ({worst.hours_to_pass} h): "
                       "start it earlier in the next extraction.")
    for impact in measured:
        if impact.bad_runs:
            went_badly.append(f"`{impact.criterion}` was out of bounds in {impact.bad_runs} of "
                              f"{impact.runs} runs ({impact.first_bad} – {impact.last_bad}).")
    window = ""
    if since or until:
        window = f"{minute(since) if since else 'the start'} – {minute(until) if until else 'now'}"
    return PostmortemView(
        plan_name=value_text(plan.model.name), phase=phase.id, title=value_text(phase.title),
        incident=value_text(incident or ""), owners=tuple(phase.owners), dates=phase_dates(plan, phase),
        window=window, runs=len(runs), first_run=minute(runs[0].time) if runs else "",
        last_run=minute(runs[-1].time) if runs else "", timeline=tuple(timeline), stories=tuple(stories),
        measured=tuple(measured), went_well=tuple(went_well), went_badly=tuple(went_badly), actions=tuple(actions),
        lessons=tuple(lessons))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "incident"


def default_target(plan: LoadedPlan, phase: Phase, fmt: DocFormat, incident: str | None) -> Path:
    name = phase.id + (f"-{slug(incident)}" if incident else "")
    return plan.config_dir / DEFAULT_DIR / f"{name}{fmt.suffix}"


def parse_moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PrepctlError(Problem(file=option, message=f"'{text}' is not a date or time",
                                   hint="write e.g. 2026-11-20 or 2026-11-20T14:00Z")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def render_markdown(plan: LoadedPlan, phase_id: str, incident: str | None = None,
                    since: datetime | None = None, until: datetime | None = None,
                    renderer: Renderer | None = None) -> str:
    phase = plan.phase(phase_id)
    runs = [r for r in read_runs(plan, phase.id, include_historical=False)
            if (since is None or r.time >= since) and (until is None or r.time <= until)]
    renderer = renderer or Renderer(plan.config_dir)
    return renderer.render(TEMPLATE, pm=build_view(plan, phase, runs, incident, since, until))


def render_postmortem(plan: LoadedPlan, phase_id: str, fmt: DocFormat = DocFormat.markdown,
                      target: Path | None = None, incident: str | None = None,
                      since: datetime | None = None, until: datetime | None = None) -> Planned:
    phase = plan.phase(phase_id)
    renderer = Renderer(plan.config_dir)
    markdown = render_markdown(plan, phase_id, incident, since, until, renderer)
    path = target or default_target(plan, phase, fmt, incident)
    if fmt is DocFormat.html:
        html = output.html_document(renderer, markdown, output.first_heading(markdown, "Post-mortem"))
        return output.plan_html(path, html)
    return output.plan_markdown(path, markdown)
