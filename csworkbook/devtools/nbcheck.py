"""Check how notebooks are committed: ``python -m csworkbook.devtools.nbcheck FILE...``.

Teaching notebooks (``notebooks/NN_*.ipynb``) must be executed top to bottom: every code
cell run, execution counts 1, 2, 3… in order. Report templates and exercises must carry no
outputs. Used by the pre-commit hook and by the test suite.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def problems(path: Path) -> list[str]:
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    code = [c for c in code if "".join(c.get("source", "")).strip()]
    teaching = path.parent.name == "notebooks" and path.name[:2].isdigit()
    out = []
    if teaching:
        counts = [c.get("execution_count") for c in code]
        if any(n is None for n in counts):
            out.append(f"{path}: {sum(n is None for n in counts)} code cell(s) never executed")
        elif counts != list(range(1, len(counts) + 1)):
            out.append(f"{path}: not executed top to bottom in one run (counts {counts})")
    elif any(c.get("outputs") or c.get("execution_count") for c in code):
        out.append(f"{path}: template or exercise committed with outputs; run nbstripout on it")
    return out


def main(argv: list[str] | None = None) -> int:
    files = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    found = [p for f in files for p in problems(f)]
    for p in found:
        print(p, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
