"""Every import fuzzed with generated and mutated files (see tests/fuzz_imports.py): no server
error, no partial write, bounded time. ``LIAISON_FUZZ_EXAMPLES`` sets the files per import."""

from __future__ import annotations

import pytest

from tests.builders import ensure_vocabulary
from tests.fuzz_imports import EXAMPLES, targets


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_every_import_survives_generated_and_mutated_files(world, capsys) -> None:
    ensure_vocabulary()
    fuzzed = targets(world)
    for target in fuzzed:
        target.fuzz(EXAMPLES)
    with capsys.disabled():
        print()
        for target in fuzzed:
            print(f"fuzz_imports: {target.summary()}")
        print(f"fuzz_imports: {sum(t.tried for t in fuzzed)} files tried in all")
    failures = [failure for target in fuzzed for failure in target.failures]
    assert not failures, "\n".join(failures[:20])
    assert all(target.refused for target in fuzzed)
