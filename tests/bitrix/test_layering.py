import ast
from pathlib import Path

import pytest

import b24app.bitrix

PACKAGE_DIR = Path(b24app.bitrix.__file__).parent
FORBIDDEN = ("flask", "flask_sqlalchemy", "sqlalchemy", "rq", "b24app")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_bitrix_module_imports_no_upper_layer(path):
    for name in imported_modules(path):
        assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
