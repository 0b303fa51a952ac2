"""Where the course's own ex4weights.mat is, for the checks that need it.

The file is not part of the kit. The same rule as nn-core's
`bundled::course_weights_file`: the path in NN_EX4_COURSE_WEIGHTS, else
data/ex4weights.mat; none where neither is set up (those checks skip, saying so); a
variable naming a missing file is an error (those checks fail).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = "NN_EX4_COURSE_WEIGHTS"
HINT = "set NN_EX4_COURSE_WEIGHTS=/path/to/ex4weights.mat or put the file in data/"


class CourseFileError(Exception):
    """NN_EX4_COURSE_WEIGHTS names a file that is not there."""


def course_weights_file(environ=None, data_dir: Path | None = None) -> Path | None:
    environ = os.environ if environ is None else environ
    value = environ.get(ENV, "")
    if value:
        path = Path(value)
        if not path.is_file():
            raise CourseFileError(f"{ENV}={value}: no such file; point it at the course's "
                                  "ex4weights.mat or unset it")
        return path
    in_data = (data_dir or REPO / "data") / "ex4weights.mat"
    return in_data if in_data.is_file() else None
