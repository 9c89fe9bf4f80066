"""Shared pytest setup. Fixtures live in tests/support/ modules, registered here."""

pytest_plugins = [
    "tests.support.s3",
    "tests.support.recordings",
    "tests.support.media",
]
