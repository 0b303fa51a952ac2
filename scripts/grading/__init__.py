"""The class grader, split along its ideas (scripts/grade_class.py is the entry point)."""
