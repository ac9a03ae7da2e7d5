"""Bulk ingest from a JSON-lines file: the API's call fields, one call a line."""

import sys

import orjson
from django.core.management.base import BaseCommand, CommandError

from calls.ingest import IngestError, receive_each


class Command(BaseCommand):
    help = (
        "Ingest calls from a JSON-lines file (one call per line, the fields of POST "
        "/v1/apps/{app}/calls). Bad lines are reported with their numbers; good ones are stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .jsonl file, or - for standard input")
        parser.add_argument("--app", help="app of every call (else each line's app_name)")
        parser.add_argument("--batch-size", type=int, default=500, help="calls per transaction")

    def handle(self, *args, **options):
        self.created = self.present = self.failed = 0
        # app -> call id (or line number, for a call without one) -> (line number, call)
        self.pending: dict[str, dict[str | int, tuple[int, object]]] = {}
        try:
            # Bytes: a line that is not UTF-8 is one bad line, not the end of the file.
            source = sys.stdin.buffer if options["file"] == "-" else open(options["file"], "rb")
        except OSError as e:
            raise CommandError(f"Cannot read {options['file']}: {e.strerror}") from None
        with source:
            for number, line in enumerate(source, 1):
                if line.strip():
                    self.read_line(number, line, options["app"])
                if sum(len(batch) for batch in self.pending.values()) >= options["batch_size"]:
                    self.flush()
        self.flush()
        if self.failed:
            raise CommandError(f"{self.failed} line(s) failed; the others were stored.")

    def read_line(self, number: int, line: bytes, app: str | None) -> None:
        try:
            # orjson, as the API reads bodies: deep nesting, lone surrogates, bad UTF-8 and
            # NaN are errors of the line.
            data = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            self.fail(number, e)
            return
        app = app or (data.get("app_name") if isinstance(data, dict) else None)
        if not app:
            self.fail(number, IngestError("app_name is missing (or pass --app)"))
            return
        call_id = data.get("id") if isinstance(data, dict) else None
        key = call_id if isinstance(call_id, str) and call_id else number
        if key in self.pending.get(app, {}):
            self.flush()  # a repeated id goes into the next transaction, after the first
        self.pending.setdefault(app, {})[key] = (number, data)

    def flush(self) -> None:
        for app, batch in self.pending.items():
            numbers, posted = zip(*batch.values(), strict=True)
            results, errors = receive_each(app, list(posted))
            self.count(results)
            for index, error in errors.items():
                self.fail(numbers[index], error)
        if self.pending:
            self.stdout.write(
                f"{self.created} calls stored, {self.present} already present, "
                f"{self.failed} lines failed"
            )
        self.pending = {}

    def count(self, results: list[dict]) -> None:
        for result in results:
            if result["created"]:
                self.created += 1
            else:
                self.present += 1

    def fail(self, number: int, error: Exception) -> None:
        self.failed += 1
        self.stderr.write(f"line {number}: {error}")
