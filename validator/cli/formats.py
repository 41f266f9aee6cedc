"""The output formats' names for `--help`, importable without the writers (which the
validator.report package imports): tests check they match validator.report.WRITERS."""

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown")
