"""The slip as a patron reads it: real bytes from python-escpos, over a real loopback socket
to the fake printer, decoded back into lines, type sizes, QR payloads and the cut."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp

from kiosk.clock import ManualClock
from kiosk.store import Store
from printers.decode import black_on_white, read
from printers.fake import FakePrinter
from printers.slip import Paper, number_size
from printers.worker import print_issued

from .conftest import local
from .test_print_support import network, printer_settings

NEED_WORDS = ("lansia", "Lansia", "Elderly", "60", "disabilitas", "disability")


@pytest.fixture
def fake() -> Iterator[FakePrinter]:
    with FakePrinter() as printer:
        yield printer


def open_store(tmp_path: Path, **printer: object) -> Store:
    """A store at 09:00 with every counter open (a slip's wait is then an estimate)."""
    store = Store(printer_settings(tmp_path, **printer), clock=ManualClock(local(9, 0)))
    for counter in store.settings.counters:
        store.counter(counter.id, "open")
    return store


def test_english_priority_slip(tmp_path, fake):
    with open_store(tmp_path, **network(fake.port)) as store:
        issued = store.issue("A", "lansia", lang="en")
        assert print_issued(store, issued, None) is True
    [data] = fake.slips()
    slip = read(data, "TM-T20II")
    assert slip.texts() == [
        "Perpustakaan Nasional RI",
        "Welcome",
        "Your ticket number",
        "A001",
        "PRIORITY",
        "Service: Membership",
        "Nobody is ahead of you",
        "Estimated wait: less than 5 minutes",
        "27/11/2026  09:00",
        "Thank you for your visit",
    ]
    number = slip.line_with("A001")
    # 48 columns / 4 characters allow 12x; GS ! stops at 8x8: the largest there is.
    assert (number.width, number.height, number.bold, number.align) == (8, 8, True, "center")
    mark = slip.line_with("PRIORITY")
    assert mark.width == 2 and mark.invert
    assert slip.qr_native == ["A001"]
    assert slip.cuts == 1
    assert slip.status_queries == [1, 4, 4]  # online + paper before, paper after the slip
    for word in NEED_WORDS:  # the need is health data: never on paper
        assert word.encode() not in data


def test_indonesian_regular_slip_counts_the_people_ahead(tmp_path, fake):
    with open_store(tmp_path, **network(fake.port)) as store:
        for _ in range(2):
            store.issue("B", lang="id")
        issued = store.issue("B", lang="id")
        assert issued.people_ahead == 2
        assert print_issued(store, issued, None) is True
        wait = issued.estimated_wait_min
    slip = read(fake.slips()[0], "TM-T20II")
    texts = slip.texts()
    assert texts[:4] == ["Perpustakaan Nasional RI", "Selamat datang", "Nomor antrean Anda",
                         "B003"]
    assert "Layanan: Sirkulasi" in texts
    assert "2 orang di depan Anda" in texts
    expected_wait = ("Perkiraan menunggu: kurang dari 5 menit" if wait == 0
                     else f"Perkiraan menunggu: sekitar {wait} menit")
    assert expected_wait in texts
    assert "27/11/2026  pukul 09.00" in texts
    assert texts[-1] == "Terima kasih atas kunjungan Anda"
    assert "PRIORITAS" not in slip.text
    assert slip.qr_native == ["B003"]


@pytest.mark.parametrize("lang", ["en", "id"])
def test_the_slip_says_when_a_counter_is_expected_or_that_none_is_open(tmp_path, fake,
                                                                       lang):
    """Issue 17: the slip says what the kiosk and the board say, never "less than 5
    minutes" when no counter serves the service."""
    with open_store(tmp_path, **network(fake.port)) as store:
        store.counter(3, "pause", minutes=30)  # C: counter 3 only, back at 09:30
        for counter in (1, 2):
            store.counter(counter, "close")  # A and B: nobody today any more
        waiting = store.issue("C", lang=lang)
        closed = store.issue("A", lang=lang)
        assert print_issued(store, waiting, None) and print_issued(store, closed, None)
    first, second = (read(data, "TM-T20II").text for data in fake.slips())
    flat = " ".join(first.split()), " ".join(second.split())
    if lang == "en":
        assert "A counter is expected from 09:30. Estimated wait: about 30 minutes" in flat[0]
        assert "Estimated wait: none yet, no counter is open for this service now" in flat[1]
    else:
        assert ("Loket diperkirakan buka mulai pukul 09:30. Perkiraan menunggu: sekitar 30"
                " menit") in flat[0]
        assert "belum ada loket yang buka untuk layanan ini" in flat[1]
    assert "less than 5" not in flat[1] and "kurang dari 5" not in flat[1]


def test_indonesian_priority_slip_names_no_need(tmp_path, fake):
    with open_store(tmp_path, **network(fake.port)) as store:
        issued = store.issue("C", "disabilitas", lang="id")
        assert print_issued(store, issued, None) is True
    data = fake.slips()[0]
    slip = read(data, "TM-T20II")
    assert slip.line_with("PRIORITAS").invert
    assert b"disabilitas" not in data and b"Penyandang" not in data


def test_long_service_names_wrap_inside_58_mm_paper(tmp_path, fake):
    with open_store(tmp_path, **network(fake.port, profile="POS-5890",
                                        paper_width_mm=58)) as store:
        issued = store.issue("E", lang="en")
        assert print_issued(store, issued, None) is True
    [job] = fake.jobs  # this profile has no cutter: one connection, no cut
    slip = read(bytes(job.data), "POS-5890")
    assert slip.cuts == 0
    for line in slip.lines:
        assert len(line.text) * line.width <= 32, line
    service = [line.text for line in slip.lines if line.height == 2 and line.bold][1:]
    assert len(service) >= 2
    joined = service[0]
    for part in service[1:]:
        joined += ("" if joined.endswith("-") else " ") + part
    assert joined == "Service: Information, complaints & public-information requests"
    assert slip.line_with("E001").width == 8  # 32 columns / 4 characters


def test_a_profile_without_native_qr_gets_an_image_a_phone_can_read(tmp_path, fake):
    with open_store(tmp_path, **network(fake.port, profile="TH230")) as store:
        issued = store.issue("D", lang="en")
        assert print_issued(store, issued, None) is True
    slip = read(fake.slips()[0], "TH230")
    assert slip.qr_native == []
    [image] = slip.images
    assert image.width <= 576
    found = zxingcpp.read_barcodes(black_on_white(image))
    assert [code.text for code in found] == ["D001"]
    assert slip.cuts == 1


def test_the_number_size_is_the_largest_that_fits():
    assert number_size("A012", Paper(columns=48, dots=576)) == 8
    assert number_size("A1000", Paper(columns=32, dots=384)) == 6
    assert number_size("A012", Paper(columns=20, dots=240)) == 5


def test_the_file_connection_keeps_the_bytes_and_a_readable_preview(tmp_path):
    folder = tmp_path / "slips"
    with open_store(tmp_path, connection="file", path=str(folder),
                    profile="TM-T20II") as store:
        issued = store.issue("A", "hamil", lang="en")
        assert print_issued(store, issued, None) is True
        state = store.devices()["main"].state
    data = (folder / "2026-11-27-A001.bin").read_bytes()
    slip = read(data, "TM-T20II")
    assert slip.qr_native == ["A001"] and slip.cuts == 1
    preview = (folder / "2026-11-27-A001.txt").read_text("utf-8")
    for text in ("A 0 0 1", "P R I O R I T Y", "Service: Membership",
                 "Thank you for your visit"):
        assert text in preview
    assert "Pregnant" not in preview and "hamil" not in preview
    assert max(len(line) for line in preview.splitlines()) <= 48
    assert state == "ok"
