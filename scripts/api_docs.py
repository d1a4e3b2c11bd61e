"""Build digitnet's Python API reference from the docstrings with pdoc (HTML in build/api/).

    python scripts/api_docs.py [OUTPUT_DIR]

Every module of the package is documented. Any warning pdoc gives (a module that fails to
import, a docstring it cannot render, a cross-reference to nothing) is an error, so that
`bash scripts/test.sh`, which runs this, fails on a broken docstring.
"""

from __future__ import annotations

import pkgutil
import sys
import warnings
from pathlib import Path

import pdoc

import digitnet


def modules() -> list[str]:
    """digitnet's modules and packages one level down (pdoc walks into the packages)."""
    return ["digitnet"] + sorted(
        info.name
        for info in pkgutil.iter_modules(digitnet.__path__, "digitnet.")
        if info.name != "digitnet.__main__"
    )


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/api")
    # pdoc forbids subprocesses while it imports modules; matplotlib runs `fc-list` the first
    # time it is imported on a machine (to build its font cache), so import it first.
    import matplotlib.font_manager  # noqa: F401

    pdoc.render.configure(
        docformat="restructuredtext", footer_text=f"digitnet {digitnet.__version__}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # An optional dependency that is not installed (torch) may be named for type checking.
        warnings.filterwarnings("ignore", message="Failed to run TYPE_CHECKING code")
        warnings.filterwarnings("ignore", message="Error parsing type annotation .* torch")
        # The page's RunBody is made from the recipe at import time: it has no source lines.
        warnings.filterwarnings("ignore", message="Cannot determine where .*RunBody")
        pdoc.pdoc(*modules(), output_directory=out)
    pages = sorted(out.rglob("*.html"))
    print(f"API reference: {len(pages)} pages in {out}/ (open {out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
