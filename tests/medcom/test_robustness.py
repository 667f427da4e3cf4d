"""Whatever a sender puts on the wire, the receiver answers with issues and an ack (or says why it cannot)."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from medcom_examples import ACKNOWLEDGEMENT_2, CARE_COMMUNICATION_5, load_example

from medcom.acknowledgement import build_acknowledgement
from medcom.errors import AcknowledgementError
from medcom.fhir_validator import Validator

EXAMPLES = [load_example(name) for name in CARE_COMMUNICATION_5 + ACKNOWLEDGEMENT_2]
REPLACEMENTS: list[Any] = [
    None,
    1,
    1.5,
    True,
    "x",
    "",
    [],
    {},
    [1],
    {"a": 1},
    [None],
    {"resourceType": "Patient"},
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, nested in value.items():
            yield from paths(nested, (*prefix, key))
    elif isinstance(value, list):
        for index, nested in enumerate(value):
            yield from paths(nested, (*prefix, index))


def mutate(message: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    broken = copy.deepcopy(message)
    candidates = list(paths(broken))[1:]
    for _ in range(rng.randint(1, 3)):
        path = rng.choice(candidates)
        parent: Any = broken
        try:
            for step in path[:-1]:
                parent = parent[step]
            if isinstance(parent, dict) and rng.random() < 0.3:
                del parent[path[-1]]
            else:
                parent[path[-1]] = copy.deepcopy(rng.choice(REPLACEMENTS))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path's parent
    return broken


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), which=st.integers(min_value=0, max_value=len(EXAMPLES) - 1))
def test_any_mutation_of_an_official_message_gets_issues_and_an_answer_never_a_crash(
    validator: Validator, rng: random.Random, which: int
) -> None:
    message = mutate(EXAMPLES[which], rng)
    result = validator.validate(message)
    try:
        ack = build_acknowledgement(message=message, result=result, validator=validator)
    except AcknowledgementError as refusal:
        assert str(refusal)
        return
    response = ack["entry"][0]["resource"]["response"]
    assert response["code"] == ("ok" if result.is_valid else "fatal-error")


def test_an_organization_whose_identifier_is_not_a_list_gets_a_clear_refusal_not_a_crash(
    validator: Validator,
) -> None:
    """Found by the mutation test above: the primary receiver's ``identifier`` replaced by a number, and no
    destination endpoint, leaves nobody to address the acknowledgement to."""
    message = copy.deepcopy(load_example(CARE_COMMUNICATION_5[0]))
    destination = message["entry"][0]["resource"]["destination"][0]
    [receiver] = [
        e["resource"]
        for e in message["entry"]
        if f"Organization/{e['resource']['id']}" == destination["receiver"]["reference"]
    ]
    receiver["identifier"] = 7
    destination.pop("endpoint", None)
    result = validator.validate(message)
    assert not result.is_valid
    with pytest.raises(AcknowledgementError, match="no endpoint and no SOR identifier"):
        build_acknowledgement(message=message, result=result, validator=validator)
