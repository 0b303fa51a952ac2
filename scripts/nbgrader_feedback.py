"""`make grade`'s feedback pages where nbgrader's `release_feedback` finds them.

`nbgrader release_feedback ASSIGNMENT` (nbgrader 0.9) publishes every
`COURSE/feedback/<student>/<ASSIGNMENT>/<notebook>.html` into the exchange under a hash of
the `submission_secret.txt` beside it (and logs the `timestamp.txt` beside it); a student's
"Fetch Feedback" (`nbgrader fetch_feedback`) finds the page by the secret of their own
submission and saves it as `~/<ASSIGNMENT>/feedback/<timestamp>/<notebook>.html`.
`nbgrader generate_feedback` fills that folder from nbgrader's own autograde; with
`--nbgrader-feedback`, `scripts/grade_class.py` fills it with the kit's pages instead: for
each graded submission `COURSE/submitted/<student>/<ASSIGNMENT>/<notebook>.ipynb`, its
`GRADES/feedback/<student>.html` becomes `COURSE/feedback/<student>/<ASSIGNMENT>/<notebook>.html`,
with that submission's `timestamp.txt` and `submission_secret.txt` copied beside it.

Orchestration only: the pages are the grader's; this moves files.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# what `nbgrader collect` copies beside each submitted notebook, and release_feedback reads
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def feedback_folder(notebook: Path) -> Path:
    """COURSE/feedback/<student>/<assignment>/ for COURSE/submitted/<student>/<assignment>/x.ipynb;
    ValueError naming the notebook and what is missing if it is not in nbgrader's layout."""
    assignment_dir = notebook.parent
    student_dir = assignment_dir.parent
    submitted = student_dir.parent
    if submitted.name != "submitted":
        raise ValueError(f"{notebook} is not in nbgrader's layout COURSE/submitted/<student>/<assignment>/: "
                         "give make grade the course folder (SUBMISSIONS=COURSE) for --nbgrader-feedback")
    for name in SUBMISSION_FILES:
        f = assignment_dir / name
        if f.is_symlink() or not f.is_file():
            raise ValueError(f"{f} is missing (or not a plain file): nbgrader's release_feedback needs it; "
                             f"collect the submission with `nbgrader collect {assignment_dir.name}`")
    return submitted.parent / "feedback" / student_dir.name / assignment_dir.name


def check(notebooks: list[Path]) -> list[str]:
    """One message per submission that cannot get nbgrader feedback (empty: all can)."""
    problems = []
    for nb in notebooks:
        try:
            feedback_folder(nb)
        except ValueError as e:
            problems.append(str(e))
    return problems


def _copy_atomic(data: bytes, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def place(graded: list[tuple[Path, Path]]) -> list[Path]:
    """For each (submitted notebook, its feedback page): the page as
    COURSE/feedback/<student>/<assignment>/<notebook>.html with the submission's timestamp.txt
    and submission_secret.txt beside it. Checks every submission first (ValueError, nothing
    written); each file is written whole (temporary file + rename). Returns the pages written."""
    problems = check([nb for nb, _ in graded])
    if problems:
        raise ValueError("\n".join(problems))
    for nb, page in graded:
        if not page.is_file():
            raise ValueError(f"{page}: no feedback page for {nb}")
    written = []
    for nb, page in graded:
        folder = feedback_folder(nb)
        for name in SUBMISSION_FILES:
            _copy_atomic((nb.parent / name).read_bytes(), folder / name)
        dest = folder / (nb.stem + ".html")
        _copy_atomic(page.read_bytes(), dest)
        written.append(dest)
    return written
