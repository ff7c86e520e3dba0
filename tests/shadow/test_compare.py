"""Comparison by status/header/JSON path, ignore patterns, Diffy's noise rule, latency percentiles
and the rate limiter: pure functions, no network."""

from __future__ import annotations

import asyncio
import json

import pytest

from prepctl.shadow.compare import (
    MISSING,
    CompareRules,
    IgnorePatternError,
    check_ignore_pattern,
    compare,
    same_value,
)
from prepctl.shadow.noise import FieldCounts, NoiseThresholds, is_real_difference
from prepctl.shadow.recorded import RecordedRequest
from prepctl.shadow.replay import Observation, RateLimiter
from prepctl.shadow.report import LatencySummary, endpoint_of, percentile


def _json(payload: object, status: int = 200, **headers: str) -> Observation:
    return Observation(status=status, headers={"content-type": "application/json", **headers},
                       body=json.dumps(payload).encode(), seconds=0.01)


def _text(body: str, status: int = 200) -> Observation:
    return Observation(status=status, headers={"content-type": "text/html"}, body=body.encode(), seconds=0.01)


def test_json_fields_are_compared_by_path_with_list_indices_folded():
    a = _json({"total": 3, "items": [{"id": 1, "ts": "a"}, {"id": 2, "ts": "b"}], "meta": {"v": 1}})
    b = _json({"total": 3, "items": [{"id": 1, "ts": "x"}, {"id": 2, "ts": "y"}, {"id": 3}], "extra": True})
    diffs = compare(a, b, CompareRules())
    assert set(diffs) == {"$.items[*].ts", "$.items[*]", "$.meta", "$.extra"}
    # The first concrete place is kept as the example.
    assert diffs["$.items[*].ts"].path == "$.items[0].ts"
    assert (diffs["$.items[*]"].path, diffs["$.items[*]"].left) == ("$.items[2]", MISSING)
    assert diffs["$.extra"].left is MISSING and diffs["$.extra"].right is True


def test_identical_answers_have_no_difference():
    payload = {"a": [1, 2, {"b": None}], "odd key": "x"}
    assert compare(_json(payload), _json(payload), CompareRules()) == {}


def test_odd_keys_are_quoted_in_paths():
    diffs = compare(_json({"a.b": 1, "it's": 1}), _json({"a.b": 2, "it's": 2}), CompareRules())
    assert set(diffs) == {"$['a.b']", "$['it\\'s']"}


def test_json_types_matter_but_int_and_float_are_one_number():
    assert same_value(1, 1.0)
    assert not same_value(True, 1) and not same_value(0, False) and not same_value("1", 1)
    assert set(compare(_json({"ok": True}), _json({"ok": 1}), CompareRules())) == {"$.ok"}


def test_status_difference_is_reported_and_bodies_of_different_statuses_are_not_compared():
    diffs = compare(_json({"host_id": 3}), _json({"detail": "internal error"}, status=500), CompareRules())
    assert list(diffs) == ["status"] and (diffs["status"].left, diffs["status"].right) == (200, 500)


def test_configured_headers_are_compared_case_insensitively():
    a = _json({}, **{"x-api-version": "1"})
    b = _json({}, **{"x-api-version": "2"})
    assert compare(a, b, CompareRules()) == {}  # not configured: not compared
    diffs = compare(a, b, CompareRules(headers=("content-type", "X-API-Version")))
    assert list(diffs) == ["header:x-api-version"]


def test_non_json_bodies_are_compared_as_text_with_an_excerpt_around_the_change():
    page = "<html>" + "x" * 500 + "<b>old</b></html>"
    diffs = compare(_text(page), _text(page.replace("old", "new")), CompareRules())
    assert list(diffs) == ["body"]
    left, right = diffs["body"].left, diffs["body"].right
    assert "old" in left and "new" in right and len(left) < 100
    # A body that claims JSON but is not is compared as text, not dropped.
    broken = Observation(status=200, headers={"content-type": "application/json"}, body=b"{oops")
    assert list(compare(broken, _json({"a": 1}), CompareRules())) == ["body"]


@pytest.mark.parametrize(("pattern", "ignored", "kept"), [
    ("$.meta", ["$.meta", "$.meta.request_id", "$.meta.items[*].x"], ["$.metadata", "$.other"]),
    ("$.items[*].ts", ["$.items[*].ts"], ["$.items[*].id", "$.items"]),
    ("$.*.generated_at", ["$.summary.generated_at"], ["$.a.b.generated_at", "$.generated_at"]),
    ("$.**.generated_at", ["$.a.b.generated_at", "$.summary.generated_at"], ["$.generated_by"]),
    ("header:ETag", ["header:etag"], ["header:date"]),
    ("status", ["status"], ["body"]),
])
def test_ignore_patterns(pattern: str, ignored: list[str], kept: list[str]):
    rules = CompareRules(ignore=(pattern,))
    assert [f for f in ignored if rules.ignored(f)] == ignored
    assert [f for f in kept if rules.ignored(f)] == []


def test_ignored_fields_are_not_reported():
    a, b = _json({"v": 1, "meta": {"id": "a"}}), _json({"v": 2, "meta": {"id": "b"}})
    assert list(compare(a, b, CompareRules(ignore=("$.meta",)))) == ["$.v"]


def test_bad_ignore_pattern_is_refused():
    with pytest.raises(IgnorePatternError, match="must start with"):
        check_ignore_pattern("meta.request_id")


def test_diffy_formulas():
    counts = FieldCounts("GET /x", "$.a", raw=10, noise=2, requests=40)
    assert counts.relative_difference == pytest.approx(8 / 12 * 100)
    assert counts.absolute_difference == pytest.approx(8 / 40 * 100)


@pytest.mark.parametrize(("raw", "noise", "requests", "real"), [
    (10, 0, 10, True),    # only the candidate differs: a real difference
    (10, 10, 10, False),  # the two primaries disagree just as often: noise
    (10, 9, 10, False),   # relative 5.3 % <= 20 %: noise
    (10, 5, 10, True),    # relative 33 %, absolute 50 %: real
    (5, 10, 10, False),   # raw below noise: never real
    (1, 0, 10_000, False),  # absolute 0.01 % <= 0.03 %: too rare to count
    (0, 0, 10, False),
])
def test_noise_rule_with_secondary(raw: int, noise: int, requests: int, real: bool):
    counts = FieldCounts("GET /x", "$.a", raw, noise, requests)
    assert is_real_difference(counts, NoiseThresholds(), with_secondary=True) is real


def test_thresholds_are_configurable():
    counts = FieldCounts("GET /x", "$.a", raw=10, noise=5, requests=10)  # relative 33 %
    assert is_real_difference(counts, NoiseThresholds(relative=20), with_secondary=True)
    assert not is_real_difference(counts, NoiseThresholds(relative=40), with_secondary=True)
    assert not is_real_difference(counts, NoiseThresholds(absolute=60), with_secondary=True)


def test_without_secondary_every_difference_is_real():
    counts = FieldCounts("GET /x", "$.a", raw=1, noise=0, requests=10_000)
    assert is_real_difference(counts, NoiseThresholds(), with_secondary=False)


def test_nearest_rank_percentiles():
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    summary = LatencySummary.of(list(reversed(values)))
    assert (summary.count, summary.p50_ms, summary.p95_ms, summary.p99_ms) == (100, 50.0, 95.0, 99.0)
    assert percentile([0.5], 99) == 0.5
    assert LatencySummary.of([]).p95_ms is None


def test_endpoints_fold_ids():
    def ep(path: str) -> str:
        return endpoint_of(RecordedRequest(index=1, method="GET", path=path))

    assert ep("/analytics/host/17/summary") == ep("/analytics/host/42/summary") == "GET /analytics/host/{id}/summary"
    assert ep("/bookings/0b7e3c52-8f6a-4b8e-9d3a-2f1e5c7a9b10") == "GET /bookings/{id}"
    assert ep("/api/v1/analytics") == "GET /api/v1/analytics"


def test_rate_limiter_spaces_starts_evenly():
    now = [100.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    async def five_starts() -> None:
        limiter = RateLimiter(10.0, clock=lambda: now[0], sleep=fake_sleep)
        for _ in range(5):
            await limiter.wait()

    asyncio.run(five_starts())
    assert slept == [0.1, 0.2, 0.3, 0.4]  # the first starts at once, then one every 100 ms


def test_rate_limiter_does_not_bank_idle_time_into_a_burst():
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    async def run() -> None:
        limiter = RateLimiter(10.0, clock=lambda: now[0], sleep=fake_sleep)
        await limiter.wait()
        now[0] = 60.0  # a long pause
        await limiter.wait()
        await limiter.wait()

    asyncio.run(run())
    assert slept == [0.1]


def test_no_rate_cap_never_sleeps():
    async def forbidden(_: float) -> None:
        raise AssertionError("slept")

    async def run() -> None:
        limiter = RateLimiter(0, sleep=forbidden)
        for _ in range(3):
            await limiter.wait()

    asyncio.run(run())


def test_nan_is_not_json_so_such_bodies_compare_as_text():
    body = b'{"ratio": NaN}'
    nan = Observation(status=200, headers={"content-type": "application/json"}, body=body)
    assert nan.document == ("text", '{"ratio": NaN}')
    same = Observation(status=200, headers={"content-type": "application/json"}, body=body)
    assert compare(nan, same, CompareRules()) == {}
