"""Erlang C and Allen–Cunneen against textbook values and the exact closed form."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from yimen.insight import erlang


def exact_erlang_c(c: int, a: Fraction) -> Fraction:
    """The textbook closed form with exact rationals."""
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_b_textbook_value():
    # Erlang B table: 10 Erlang offered to 10 circuits → 21.46 % blocked.
    assert erlang.erlang_b(10, 10) == pytest.approx(0.2146, abs=1e-4)


@pytest.mark.parametrize(
    "c, a, expected",
    [
        (1, 0.5, 0.5),  # M/M/1: P(wait) = ρ
        (2, 1.0, 1 / 3),  # M/M/2, a = 1: 2ρ²/(1+ρ) with ρ = 1/2
        (3, 2.0, 4 / 9),  # Gross & Harris style example
        (11, 10.0, 0.6821),  # Erlang C table
        (14, 10.0, 0.1741),  # classic call-centre example (100 calls / 30 min, 180 s AHT)
    ],
)
def test_erlang_c_textbook_values(c, a, expected):
    assert erlang.erlang_c(c, a) == pytest.approx(expected, abs=1e-4)


@given(
    c=st.integers(1, 40), load=st.fractions(min_value=Fraction(1, 100), max_value=Fraction(99, 100))
)
def test_erlang_c_matches_exact_closed_form(c, load):
    a = load * c
    assert erlang.erlang_c(c, float(a)) == pytest.approx(
        float(exact_erlang_c(c, a)), rel=1e-9, abs=1e-12
    )


def test_call_centre_example_mean_wait_and_service_level():
    lam, s = 100 / 30, 3.0  # per minute, minutes
    assert erlang.mean_wait(lam, s, 14) * 60 == pytest.approx(7.84, abs=0.01)  # ASA 7.8 s
    assert erlang.service_level(lam, s, 14, 20 / 60) == pytest.approx(0.8884, abs=1e-3)
    assert erlang.service_level(lam, s, 13, 20 / 60) < 0.8
    assert erlang.servers_needed(lam, s, 20 / 60, 0.8) == 14


def test_mm1_mean_wait():
    # M/M/1, λ = 0.5, E[S] = 1: Wq = ρ / (μ − λ) = 1
    assert erlang.mean_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    assert erlang.service_level(0.5, 1.0, 1, 0) == pytest.approx(0.5)  # P(W = 0) = 1 − ρ


def test_allen_cunneen_factor_scales_the_wait():
    base = erlang.mean_wait(0.4, 10, 5)
    assert erlang.mean_wait(0.4, 10, 5, ca=1, cs=0) == pytest.approx(base / 2)  # M/D/c ≈ half
    assert erlang.mean_wait(0.4, 10, 5, ca=1, cs=1) == pytest.approx(base)
    assert erlang.mean_wait(0.4, 10, 5, ca=1, cs=math.sqrt(3)) == pytest.approx(base * 2)
    # More variable service needs at least as many windows.
    assert erlang.servers_needed(0.4, 10, 15, 0.8, cs=1.5) >= erlang.servers_needed(
        0.4, 10, 15, 0.8
    )


def test_unstable_and_edge_cases():
    with pytest.raises(erlang.UnstableQueue):
        erlang.mean_wait(1.0, 5.0, 5)
    assert erlang.service_level(1.0, 5.0, 5, 15) == 0.0
    f = erlang.figures(1.0, 5.0, 4, 15)
    assert f.mean_wait == math.inf and f.utilisation == 1.25
    assert erlang.servers_needed(0, 5, 15, 0.8) == 0
    with pytest.raises(ValueError):
        erlang.servers_needed(1, 5, 15, 1.2)
    with pytest.raises(ValueError):
        erlang.mean_wait(1, 0, 3)


@given(lam=st.floats(0.01, 5), s=st.floats(0.5, 30), t=st.floats(0, 60), level=st.floats(0.5, 0.95))
def test_servers_needed_is_the_smallest_meeting_the_target(lam, s, t, level):
    c = erlang.servers_needed(lam, s, t, level)
    assert c > lam * s
    assert erlang.service_level(lam, s, c, t) >= level
    if c - 1 > lam * s:
        assert erlang.service_level(lam, s, c - 1, t) < level
