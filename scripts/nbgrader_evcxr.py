"""nbgrader's Execute step for the `rust` kernel (evcxr), whose error replies are incomplete.

When a cell does not compile, evcxr 0.22 sends the error as an output (ename "Error", the
compiler's message) but its `execute_reply` is only `{"status": "error"}`: the Jupyter
protocol's `ename`, `evalue` and `traceback` are missing. nbgrader 0.9's Execute reads
`reply["content"]["ename"]` for every cell that errs, so one student's compile error stops
`nbgrader autograde` for that student (KeyError: 'ename') and nothing of theirs is graded.

`Execute` below fills in what is missing from the cell's own error output, then does what
nbgrader's does: the cell keeps its error, nbgrader scores it 0, and the other cells are
graded. `configure(c)` puts it in place of nbgrader's in an nbgrader_config.py, for
`autograde` and for the students' Validate button:

    import sys; sys.path.insert(0, "/path/to/the/kit/scripts")
    import nbgrader_evcxr; nbgrader_evcxr.configure(c)
"""

from __future__ import annotations

from nbgrader import preprocessors


class Execute(preprocessors.Execute):
    """nbgrader's Execute, with evcxr's error replies completed from the cell's error output."""

    def on_cell_executed(self, **kwargs):
        content = kwargs["execute_reply"]["content"]
        if content.get("status") == "error":
            shown = [o for o in kwargs["cell"].outputs if o.get("output_type") == "error"]
            last = shown[-1] if shown else {}
            content.setdefault("ename", last.get("ename", "Error"))
            content.setdefault("evalue", last.get("evalue", "the cell did not run (the kernel gave no reason)"))
            content.setdefault("traceback", list(last.get("traceback", [])))
        return super().on_cell_executed(**kwargs)


def _swapped(steps: list) -> list:
    return [Execute if step is preprocessors.Execute else step for step in steps]


def configure(c) -> None:
    """Use `Execute` wherever nbgrader runs a notebook: `autograde` and `validate`."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.validator import Validator

    c.Autograde.autograde_preprocessors = _swapped(Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default())
    c.Validator.preprocessors = _swapped(Validator.class_traits()["preprocessors"].make_dynamic_default())
