"""Import calls and logs straight from an Fn server's own database, once or following it.

Fn gives a call its id when the call arrives but writes the row when the call completes, and
the log in a statement after that; several Fn nodes may share the database. So each round
re-reads a trailing window of ids before the newest one seen (ingest is idempotent by id, and
only ids are read for calls already stored), importing calls that appeared late and logs
that came after their call.
"""

import re
import signal
import threading
from collections import Counter
from contextlib import closing
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from calls import fndb
from calls.ingest import receive_each
from calls.models import Call
from calls.storing import attach_logs

LOG_CHUNK_BYTES = 8 * 1024 * 1024
DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)?")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}


def duration(text: str) -> float:
    """Seconds from `500ms`, `5s`, `10m`, `2h` or a plain number of seconds."""
    match = DURATION.fullmatch(text.strip())
    if not match:
        raise ValueError(text)
    return float(match[1]) * UNIT_SECONDS[match[2]]


class Command(BaseCommand):
    help = "Import calls and their logs from an Fn server's database, once or with --follow."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="url", required=True, help="Fn's database URL")
        parser.add_argument("--since", default="", help="start after this id (no window)")
        parser.add_argument(
            "--state-file",
            help="file holding the newest id seen: read at start, written after each batch",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--window", type=duration, default="2h",
            help="how far before the newest id seen each run re-reads, for calls and logs Fn "
            "wrote late (default 2h: Fn's longest call timeout is 1h)",
        )  # fmt: skip
        parser.add_argument("--follow", action="store_true", help="keep reading until stopped")
        parser.add_argument(
            "--interval", type=duration, default="5s", help="pause between rounds (default 5s)"
        )

    def handle(self, *args, **options):
        self.state = Path(options["state_file"]) if options["state_file"] else None
        self.batch_size = options["batch_size"]
        newest = options["since"] or (
            self.state.read_text().strip() if self.state and self.state.exists() else ""
        )
        window_ms = int(options["window"] * 1000)
        self.stopping = threading.Event()
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            with closing(fndb.connect(options["url"])) as fn:
                start = options["since"] or fndb.window_start(newest, window_ms)
                while True:
                    newest, failed = self.round(fn, start, newest)
                    if not options["follow"]:
                        break
                    if self.stopping.wait(options["interval"]):
                        break
                    # A follower runs for weeks: let Django drop a connection that went bad.
                    close_old_connections()
                    start = fndb.window_start(newest, window_ms)
        except fndb.FnDatabaseError as e:
            raise CommandError(str(e)) from None
        except fndb.DRIVER_ERRORS as e:
            raise CommandError(f"Reading Fn's database failed: {e}") from None
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed and not options["follow"]:
            raise CommandError(f"{failed} call(s) could not be imported; the others were.")

    def stop(self, signum, frame) -> None:
        """SIGTERM/SIGINT: finish the batch under way, then stop."""
        self.stopping.set()

    def round(self, fn: fndb.FnDatabase, start: str, newest: str) -> tuple[str, int]:
        """Every id after `start`, batch by batch. Returns the newest id seen and how many
        calls failed, after a line of progress."""
        counts: Counter[str] = Counter()
        while not self.stopping.is_set():
            ids = fn.ids_after(start, self.batch_size)
            if not ids:
                break
            self.import_batch(fn, ids, counts)
            start = ids[-1]
            newest = max(newest, start)
            if self.state:
                self.state.write_text(newest + "\n")
        fn_newest = fn.newest_id()
        lag = (fndb.id_ms(fn_newest) - fndb.id_ms(newest)) / 1000 if fn_newest and newest else 0
        self.stdout.write(
            f"{counts['calls']} calls imported, {counts['logs']} logs "
            f"({counts['replaced']} with bytes replaced), {counts['failed']} failed; "
            f"newest id {newest or '-'}, {max(lag, 0):.1f} s behind Fn's newest call"
        )
        return newest, counts["failed"]

    def import_batch(self, fn: fndb.FnDatabase, ids: list[str], counts: Counter) -> None:
        """Store the calls of `ids` we lack or hold unfinished, then the logs they lack."""
        rows = Call.objects.filter(pk__in=ids).values_list("pk", "status", "log")
        stored = {pk: (status, log) for pk, status, log in rows}
        # Stored calls without a log are sent again too: store() tells whether the id is ours
        # (not a call of another app) before Fn's late log is attached to it.
        wanted = [
            i for i in ids
            if i not in stored or stored[i][0] in Call.UNFINISHED
            or (fn.has_logs and stored[i][1] is None)
        ]  # fmt: skip
        by_app: dict[str, list[dict]] = {}
        for row in fn.calls(wanted):
            try:
                app, fields = fndb.call_fields(row)
            except ValueError as e:
                self.failed(counts, row["id"], e)
                continue
            by_app.setdefault(app, []).append(fields)
        accepted = []
        for app, posted in by_app.items():
            results, errors = receive_each(app, posted)
            counts["calls"] += sum(result["created"] for result in results)
            accepted += [result["id"] for result in results]
            for index, error in errors.items():
                self.failed(counts, posted[index]["id"], error.message)
        for chunk in fn.logs(accepted, LOG_CHUNK_BYTES):
            counts["replaced"] += sum(replaced for _, _, replaced in chunk)
            counts["logs"] += attach_logs({call_id: text for call_id, text, _ in chunk})

    def failed(self, counts: Counter, call_id: str, message: object) -> None:
        counts["failed"] += 1
        self.stderr.write(f"call {call_id}: {message}")
