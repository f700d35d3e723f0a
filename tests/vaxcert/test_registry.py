"""TrustRegistry files: read at their size (regular files and pipes), bounded, unusable keys refused on use."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from tests.conftest import VECTORS
from vaxcert import registry
from vaxcert.errors import TrustError
from vaxcert.registry import TrustRegistry

# The registry's own reader refuses a whole file for an unknown status or an unreadable date
# (the trust-list import rejects such entries one by one), so these tests read the vector without them.
_WHOLE_FILE_ERRORS = {"SHC": "#bad-status", "DCC": "badDate"}


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    document = json.loads((VECTORS / "trust-registry.json").read_text(encoding="utf-8"))
    for framework, suffix in _WHOLE_FILE_ERRORS.items():
        document[framework] = {k: v for k, v in document[framework].items() if not k.endswith(suffix)}
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_one_unreadable_entry_refuses_the_whole_file() -> None:
    with pytest.raises(TrustError) as info:
        TrustRegistry.load(registries=[VECTORS / "trust-registry.json"])
    assert info.value.code == "trust.bad_registry"


def test_a_registry_file_and_the_same_bytes_through_a_pipe_load_alike(tmp_path: Path, registry_file: Path) -> None:
    fifo = tmp_path / "registry.fifo"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(registry_file.read_bytes()))
    writer.start()
    through_pipe = TrustRegistry.load(registries=[fifo])
    writer.join()
    from_file = TrustRegistry.load(registries=[registry_file])
    assert through_pipe == from_file and len(from_file.keys) > 0


@pytest.mark.parametrize("pipe", [False, True])
def test_a_file_over_the_limit_is_refused(
    tmp_path: Path, registry_file: Path, monkeypatch: pytest.MonkeyPatch, pipe: bool
) -> None:
    data = registry_file.read_bytes()
    monkeypatch.setattr(registry, "MAX_TRUST_FILE_BYTES", len(data) - 1)
    path = tmp_path / "limited.json"
    if pipe:
        os.mkfifo(path)
        writer = threading.Thread(target=lambda: path.write_bytes(data))
        writer.start()
    else:
        path.write_bytes(data)
    with pytest.raises(TrustError) as info:
        TrustRegistry.load(registries=[path])
    if pipe:
        writer.join()
    assert info.value.code == "trust.too_large"
    monkeypatch.setattr(registry, "MAX_TRUST_FILE_BYTES", len(data))
    assert len(TrustRegistry.load(registries=[registry_file]).keys) > 0  # exactly at the limit is fine


def test_a_key_on_a_curve_cryptography_cannot_use_is_refused_on_use(registry_file: Path) -> None:
    loaded = TrustRegistry.load(registries=[registry_file])
    key = loaded.key("ICAO", "LV#explicit-curve")
    assert key is not None
    with pytest.raises(TrustError) as info:
        key.public_key  # noqa: B018 - the property decodes the key
    assert info.value.code == "trust.bad_key"
