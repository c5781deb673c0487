"""Messages without the server's folders: what the service answers names files as their users named
them (an upload, the catalogue, the operator's registry), never where the server keeps them. The
operator's own log keeps the full paths."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path


def without_server_paths(text: str, *, folders: Iterable[Path] = (), files: Iterable[Path] = ()) -> str:
    """`text` with each of `files` named by its base name and each of `folders` left out of the paths
    under it (the folder alone reads "."). A folder is matched as given and resolved."""
    for path in files:
        text = text.replace(str(path), Path(path).name)
    forms = {form for folder in folders for form in (str(folder), str(Path(folder).resolve()))}
    forms -= {"", ".", os.sep}  # these would strip every relative or absolute path
    for form in sorted(forms, key=len, reverse=True):  # "/srv/data" before "data", its relative form
        # Only whole paths: "data" is not the end of "/srv/metadata" nor the start of "data-2".
        text = re.sub(r"(?<![\w./-])" + re.escape(form + os.sep), "", text)
        text = re.sub(r"(?<![\w./-])" + re.escape(form) + r"(?![\w.-])", ".", text)
    return text
