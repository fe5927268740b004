"""The internship program domain: universities, employers, students, routing."""
