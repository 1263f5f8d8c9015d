"""Export: the view on show written to CSV or JSON in a chosen folder, with a progress
bar; a half-written file never has the final name."""

from __future__ import annotations

import csv
import json
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Input,
    ProgressBar,
    Select,
    Static,
)

from kiosk import reports
from kiosk.exceptions import KioskError
from kiosk.i18n import t
from kiosk.reports.survey import publication_csv
from kiosk.store import Store
from kiosk.ui.admin.base import Range, Stopped, admin_app
from kiosk.ui.admin.words import bind, has, language, say_bindings, w

# -- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportJob:
    """One view's export: `report` (Today, Statistics), `series` (Charts), the log, or
    `survey` (the satisfaction survey's report: CSV is the regulation's publication table
    in `lang`, ready to print; JSON is `kiosk survey report --format json`)."""

    view: str
    """today, statistics, charts or log: in the file's name, and said as `view_VIEW`."""
    what: str
    """What is written, in words (the dates and filters)."""
    range: Range
    report: dict[str, Any] | None = None
    series: dict[str, Any] | None = None
    label: str = ""
    survey: dict[str, Any] | None = None
    lang: str = "en"

    def path(self, folder: Path, ext: str) -> Path:
        slug = self.range.slug()
        if self.label:
            slug += "-label-" + "".join(ch for ch in self.label.upper() if ch.isalnum())
        return folder / f"kiosk-{self.view}-{slug}.{ext}"

    def write(self, store: Store, folder: Path, ext: str,
              progress: reports.Progress) -> Path:
        """Runs on the store thread. Writes to a temporary name, then renames: a half-written
        file never carries the final name."""
        folder.mkdir(parents=True, exist_ok=True)
        path = self.path(folder, ext)
        partial = path.with_name(path.name + ".part")
        try:
            self._write(store, partial, ext, progress)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(path)
        return path

    def _write(self, store: Store, partial: Path, ext: str,
               progress: reports.Progress) -> None:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            if self.view == "log":
                self._write_log(store, out, ext, progress)
            elif self.survey is not None:
                out.write(publication_csv(self.survey, self.lang) if ext == "csv"
                          else json.dumps(self.survey, ensure_ascii=False) + "\n")
                progress(1, 1)
            elif self.series is not None:
                _write_series(self.series, out, ext)
                progress(1, 1)
            else:
                rep = self.report
                if rep is None:  # Today before the first read: read it now
                    rep = reports.report(store, store.settings,
                                         date_from=self.range.date_from,
                                         date_to=self.range.date_to)
                out.write(reports.to_csv(rep) if ext == "csv"
                          else json.dumps(rep, ensure_ascii=False) + "\n")
                progress(1, 1)

    def _write_log(self, store: Store, out: Any, ext: str, progress: reports.Progress) -> None:
        rows = reports.log_rows(store, store.settings, label=self.label, progress=progress,
                                **self.range.kwargs())
        if ext == "csv":
            writer = csv.DictWriter(out, fieldnames=reports.LOG_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
            return
        head = {"from": self.range.date_from, "to": self.range.date_to,
                "timezone": store.settings.site.timezone,
                "filters": {"service": self.range.service, "counter": self.range.counter,
                            "priority": self.range.priority},
                "label": self.label or None}
        out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [')
        sep = ""
        for row in rows:
            out.write(sep + json.dumps(row, ensure_ascii=False))
            sep = ", "
        out.write("]}\n")


def _write_series(series: dict[str, Any], out: Any, ext: str) -> None:
    if ext == "json":
        out.write(json.dumps(series, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["chart", "series", "x", "value"])
    for key in ("arrivals_by_hour", "calls_by_hour"):
        for hour, n in series[key].items():
            writer.writerow(["by_hour", key.split("_")[0], hour, n])
    for cls, minutes in series["wait_minutes"].items():
        for minute, n in minutes.items():
            writer.writerow(["wait_minutes", cls, minute, n])
    for day in series["days"]:
        for i, cls in enumerate(reports.CLASSES):
            share = day["within_target"][i]
            writer.writerow(["within_target_by_day", cls, day["day"],
                             "" if share is None else share])
    for counter, share in series["utilisation"].items():
        writer.writerow(["utilisation", "counter", counter, "" if share is None else share])


class ExportScreen(ModalScreen[list[Path]]):
    """Choose CSV or JSON and a folder; a progress bar while a long range is written."""

    BINDINGS: ClassVar[list[Any]] = [bind("escape", "close", "key_close")]

    def __init__(self, job: ExportJob) -> None:
        super().__init__()
        say_bindings(self)
        self.job = job
        self.written: list[Path] = []
        self.closed = threading.Event()

    def compose(self) -> ComposeResult:
        app = admin_app(self)
        with Vertical(id="dialog"):
            view = (w(f"view_{self.job.view}") if has(f"view_{self.job.view}")
                    else t(language(), f"survey_report.view_{self.job.view}"))
            yield Static(w("export_title", view=view, what=self.job.what),
                         classes="dialog-title")
            with Horizontal(classes="dialog-row"):
                yield Select([("CSV", "csv"), ("JSON", "json")], value="csv",
                             allow_blank=False, id="export-format")
                # Served to a browser, the file goes to the browser, never to a folder
                # on the server that a typed path could point anywhere.
                yield Input(str(app.export_dir), placeholder=w("export_folder"),
                            id="export-folder", disabled=app.is_web)
            yield ProgressBar(total=1, show_eta=False, id="export-progress")
            yield Static("", id="export-result")
            with Horizontal(classes="dialog-buttons"):
                yield Button(w("export"), id="export-go")
                yield Button(w("key_close"), id="export-close")

    def on_mount(self) -> None:
        self.query_one("#export-go", Button).focus()

    @on(Button.Pressed, "#export-go")
    @on(Input.Submitted, "#export-folder")
    def _go(self) -> None:
        ext = str(self.query_one("#export-format", Select).value)
        if self.app.is_web:
            folder = Path(tempfile.mkdtemp(prefix="kiosk-export-"))
        else:
            folder = Path(self.query_one("#export-folder", Input).value.strip()
                          or ".").expanduser()
        self.run_worker(self._export(folder, ext), group="export", exclusive=True)

    async def _export(self, folder: Path, ext: str) -> None:
        app = admin_app(self)
        bar = self.query_one("#export-progress", ProgressBar)
        result = self.query_one("#export-result", Static)
        go = self.query_one("#export-go", Button)
        bar.update(total=max(self.job.range.days, 1), progress=0)
        go.disabled = True
        try:
            path = await app.store.run(self.job.write, folder, ext, app.progress_callback(
                bar, lambda: not self.closed.is_set()))
        except Stopped:
            return
        except (OSError, KioskError) as exc:
            result.update(w("export_failed", error=exc))
            return
        finally:
            go.disabled = False
        bar.update(total=1, progress=1)
        self.written.append(path)
        if app.is_web:
            app.deliver_text(path, save_filename=path.name, encoding="utf-8",
                             mime_type="text/csv" if ext == "csv" else "application/json")
            result.update(w("exported", files=path.name))
            return
        app.export_dir = folder
        result.update(w("exported", files=path))

    @on(Button.Pressed, "#export-close")
    def action_close(self) -> None:
        self.closed.set()  # an export still writing stops at its next day
        self.dismiss(self.written)
