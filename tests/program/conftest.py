"""Fixtures for program tests: one portal's program, and a second portal."""

import pytest

from .builders import Program, make_portal


@pytest.fixture
def program(app) -> Program:
    return Program(make_portal())


@pytest.fixture
def other_program(app) -> Program:
    return Program(make_portal(lang="en"))
