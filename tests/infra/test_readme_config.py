"""The config keys the README names are the program's own, with the defaults it states."""

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def readme_config_rows() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Deploy") :]
    rows = re.findall(r"^\| `([A-Za-z]+)`(?:, `[A-Za-z]+`)? \| ([^|]+) \|", section, re.MULTILINE)
    assert rows, "the README's deploy section has no config table"
    return [(key, default.strip()) for key, default in rows]


def test_every_config_key_in_the_readme_is_declared_with_that_default():
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key, default in readme_config_rows():
        assert key in declared, key
        if default != "none":
            stated = json.loads(default.strip("`")) if default.startswith(("`[", '`"')) else default.strip("`")
            actual = declared[key]["default"]
            assert str(stated).lower() == str(actual).lower(), (key, stated, actual)
