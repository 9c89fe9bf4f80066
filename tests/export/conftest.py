"""Session recordings for the export tests (each made once per worker, a few seconds of ffmpeg each)."""

from __future__ import annotations

import pytest

from tests.export.media import Source, make_source, make_ts_source, source_md5s

SOURCES = ["ts-h264", "fmp4-h264", "ts-hevc", "fmp4-hevc", "ts-h264-bframes"]


@pytest.fixture(scope="session")
def export_bucket(tmp_path_factory: pytest.TempPathFactory):
    return tmp_path_factory.mktemp("export-bucket")


@pytest.fixture(scope="session")
def sources(export_bucket) -> dict[str, Source]:
    """Lazily made recordings by kind, so a test run only encodes what it uses."""
    return {}


@pytest.fixture(scope="session")
def get_source(export_bucket, sources):
    def get(kind: str) -> Source:
        if kind not in sources:
            if kind == "ts-h264":
                sources[kind] = make_ts_source(export_bucket)
            elif kind == "fmp4-h264":
                sources[kind] = make_source(export_bucket, codec="h264", segment_type="fmp4")
            elif kind == "ts-hevc":
                sources[kind] = make_source(export_bucket, codec="hevc", segment_type="mpegts")
            elif kind == "fmp4-hevc":
                sources[kind] = make_source(export_bucket, codec="hevc", segment_type="fmp4")
            elif kind == "ts-h264-bframes":
                sources[kind] = make_source(export_bucket, segment_type="mpegts", bframes=3, preset="veryfast")
            else:
                raise KeyError(kind)
        return sources[kind]

    return get


@pytest.fixture(scope="session")
def get_source_md5s(get_source):
    cache: dict[str, list[str]] = {}

    def get(kind: str) -> list[str]:
        if kind not in cache:
            cache[kind] = source_md5s(get_source(kind))
        return cache[kind]

    return get
