"""How each connection is opened from `[printers.NAME]`: the python-escpos class, its
arguments, an explicit timeout, and one clear PrinterError when the device is missing.
There is no USB printer, CUPS server or serial printer here: serial is exercised for real
over a pseudo-terminal, CUPS through stand-in `lp`/`lpstat` programs, USB up to the bus
search."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from types import SimpleNamespace

import escpos.printer
import pytest

from kiosk import config as cfg
from kiosk.clock import ManualClock
from kiosk.exceptions import ConfigError, PrinterError
from kiosk.store import Store
from printers.connect import make_printer, open_printer
from printers.decode import read
from printers.fake import FakeSerialPrinter
from printers.worker import print_issued

from .conftest import local
from .test_print_support import network, printer_config, printer_settings


def main_printer(tmp_path: Path, **keys: object) -> cfg.Printer:
    return printer_settings(tmp_path, **keys).printers["main"]


def test_network_gets_the_configured_timeout_not_60_s(tmp_path):
    printer = main_printer(tmp_path, **network(9100, timeout_s=2.5))
    device = make_printer("main", printer, timeout_s=printer.timeout_s)
    assert isinstance(device, escpos.printer.Network)
    assert (device.host, device.port, device.timeout) == ("127.0.0.1", 9100, 2.5)
    assert device.profile.profile_data["name"] == "TM-T20II"


def test_usb_is_searched_by_vendor_and_product_with_a_timeout(tmp_path):
    printer = main_printer(tmp_path, connection="usb", usb={"vendor": 0x04B8,
                                                            "product": 0x0E15},
                           profile="TM-T20II", timeout_s=1.5)
    device = make_printer("main", printer, timeout_s=printer.timeout_s)
    assert isinstance(device, escpos.printer.Usb)
    assert device.usb_args == {"idVendor": 0x04B8, "idProduct": 0x0E15}
    assert device.timeout == 1500  # pyusb counts ms; python-escpos' 0 would wait forever
    with pytest.raises(PrinterError, match=r"printer main: cannot open usb 04b8:0e15"):
        open_printer("main", printer, timeout_s=1.5)


def test_serial_opens_the_device_at_its_baud_rate(tmp_path):
    printer = main_printer(tmp_path, connection="serial",
                           serial={"device": "/dev/ttyNOSUCH", "baudrate": 38400},
                           timeout_s=1.0)
    device = make_printer("main", printer, timeout_s=printer.timeout_s)
    assert isinstance(device, escpos.printer.Serial)
    assert (device.devfile, device.baudrate, device.timeout) == ("/dev/ttyNOSUCH", 38400, 1.0)
    with pytest.raises(PrinterError, match="cannot open serial /dev/ttyNOSUCH at 38400 baud"):
        open_printer("main", printer, timeout_s=1.0)


@pytest.mark.parametrize("paper", ["ok", "out"])
def test_a_slip_over_a_real_serial_line(tmp_path, paper):
    with FakeSerialPrinter(paper=paper) as fake:
        settings = printer_settings(tmp_path, connection="serial", timeout_s=1.0,
                                    serial={"device": fake.device, "baudrate": 19200})
        with Store(settings, clock=ManualClock(local(9, 0))) as store:
            issued = store.issue("A", lang="id")
            printed = print_issued(store, issued, None)
            reason = store.print_failure(issued.ticket.id)
            state = store.devices()["main"].state
    slip = read(bytes(fake.data), "TM-T20II")
    if paper == "ok":
        assert printed is True and state == "ok" and reason is None
        assert slip.qr_native == ["A001"] and fake.cuts == 1
        assert slip.status_queries == [1, 4, 4]
    else:
        assert printed is False and state == "paper_out" and reason == "paper out"
        assert slip.texts() == [] and slip.status_queries == [1, 4]


def stand_in_cups(folder: Path, queue: str) -> Path:
    """`lp` and `lpstat` as CUPS' client prints them; lp writes the job to a file."""
    folder.mkdir()
    job = folder / "job.bin"
    scripts = {
        "lpstat": f"""#!/bin/sh
case "$1" in
  -e) echo {queue} ;;
  -v) echo "device for {queue}: usb://EPSON/TM-T20II" ;;
  -d) echo "system default destination: {queue}" ;;
esac
""",
        "lp": f"""#!/bin/sh
echo "$@" > {folder}/lp.args
cat > {job}
""",
    }
    for name, text in scripts.items():
        path = folder / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return job


def test_cups_without_pycups_pipes_the_raw_job_to_lp(tmp_path, monkeypatch):
    assert not escpos.printer.CupsPrinter.is_usable()  # pycups is not installed here
    job = stand_in_cups(tmp_path / "bin", "kioskq")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    settings = printer_settings(tmp_path, connection="cups", cups="kioskq", timeout_s=2)
    device = make_printer("main", settings.printers["main"], timeout_s=2)
    assert isinstance(device, escpos.printer.LP) and device.printer_name == "kioskq"
    with Store(settings, clock=ManualClock(local(9, 0))) as store:
        assert print_issued(store, store.issue("C", lang="en"), None) is True
        device_row = store.devices()["main"]
    assert (tmp_path / "bin" / "lp.args").read_text().split() == [
        "-d", "kioskq", "-t", "python-escpos", "-o", "raw"]
    slip = read(job.read_bytes(), "TM-T20II")
    assert slip.qr_native == ["C001"] and slip.cuts == 1
    assert device_row.state == "unknown"  # CUPS does not tell the paper state


def test_cups_with_an_unknown_queue_or_no_client_is_a_clear_error(tmp_path, monkeypatch):
    stand_in_cups(tmp_path / "bin", "otherq")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    printer = main_printer(tmp_path, connection="cups", cups="kioskq")
    with pytest.raises(PrinterError, match="cannot open CUPS queue kioskq"):
        open_printer("main", printer, timeout_s=1)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PrinterError, match="needs pycups"):
        open_printer("main", printer, timeout_s=1)


def test_cups_with_pycups_uses_python_escpos_cups_printer(tmp_path, monkeypatch):
    """pycups needs libcups headers to build, so it is stood in for: what is asserted is
    that the queue name reaches python-escpos' CupsPrinter and a dead server is one error."""
    module = escpos.printer.cups

    def no_server() -> None:
        raise RuntimeError("cupsd is not running")

    monkeypatch.setattr(module, "_DEP_PYCUPS", True)
    monkeypatch.setattr(module, "DEFAULT_HOST", "localhost", raising=False)
    monkeypatch.setattr(module, "DEFAULT_PORT", 631, raising=False)
    monkeypatch.setattr(module, "cups", SimpleNamespace(
        setServer=lambda host: None, setPort=lambda port: None, Connection=no_server),
        raising=False)
    printer = main_printer(tmp_path, connection="cups", cups="kioskq")
    device = make_printer("main", printer, timeout_s=1)
    assert isinstance(device, escpos.printer.CupsPrinter) and device.printer_name == "kioskq"
    with pytest.raises(PrinterError, match="cannot open CUPS queue kioskq: .*cupsd is not"):
        open_printer("main", printer, timeout_s=1)


def test_a_slips_folder_that_cannot_be_written_fails_the_print_not_the_ticket(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings = printer_settings(tmp_path, connection="file", path=str(blocker / "slips"))
    with Store(settings, clock=ManualClock(local(9, 0))) as store:
        issued = store.issue("A")
        assert print_issued(store, issued, None) is False
        assert "slips" in store.print_failure(issued.ticket.id)
        assert store.devices()["main"].state == "offline"
        assert store.find("A001").state == "waiting"


def test_no_printer_means_none(tmp_path):
    (tmp_path / "absent").mkdir()
    for config in (printer_config(tmp_path, connection="none"),
                   printer_config(tmp_path / "absent", kiosk_printer=None,
                                  connection="file")):
        with Store(cfg.load(config), clock=ManualClock(local(9, 0))) as store:
            assert print_issued(store, store.issue("A"), None) is None
            assert store.devices() == {}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"connection": "bluetooth"}, "printers.main.connection"),
        ({"connection": "network", "host": "10.0.0.5", "port": 0}, "printers.main.port"),
        ({"connection": "network", "host": "10.0.0.5", "profile": "TM-NOSUCH"},
         "unknown python-escpos profile"),
        ({"connection": "network"}, 'connection "network" needs host'),
        ({"connection": "network", "host": " "}, 'connection "network" needs host'),
        ({"connection": "file", "paper_width_mm": 76}, "printers.main.paper_width_mm"),
        ({"connection": "network", "host": "10.0.0.5", "timeout_s": 0},
         "printers.main.timeout_s"),
        ({"connection": "usb"}, 'connection "usb" needs usb'),
        ({"connection": "cups"}, 'connection "cups" needs cups'),
        ({"connection": "serial", "serial": {"device": "/dev/ttyS0", "baudrate": 1234}},
         "printers.main.serial.baudrate"),
    ],
)
def test_wrong_printer_values_are_config_errors(tmp_path, keys, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        cfg.load(printer_config(tmp_path, **keys))


def test_every_shipped_connection_kind_is_described_in_the_devices_row(tmp_path):
    with Store(printer_settings(tmp_path, connection="file", path=str(tmp_path / "s")),
               clock=ManualClock(local(9, 0))) as store:
        assert print_issued(store, store.issue("A"), None) is True
        row = store.devices()["main"]
    assert row.detail == f"slips go to {tmp_path / 's'}"
    assert json.dumps(row.as_json())  # plain values, readable by any screen
