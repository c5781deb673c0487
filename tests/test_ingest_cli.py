"""`fagmatch ingest` and `fagmatch export` as a provider and an operator use them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.ingest import ingest_file
from matcher.store import open_catalogue
from tests.conftest import SAMPLE_FEED, course_record, write_jsonl


def _by_line(stderr: str) -> str:
    """The rejections as `file:line: reason`, without what else names the record (its row, its id),
    which `test_a_rejected_record_is_named_by_its_spreadsheet_row_and_id` checks."""
    return re.sub(r"(\.(?:csv|jsonl):\d+) \((?:spreadsheet row \d+)?(?:, )?(?:id [^)]*)?\)", r"\1", stderr)


def exported(run_cli, fmt: str = "jsonl") -> str:
    result = run_cli("export", "--format", fmt)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ingest_reports_counts_and_reingest_is_all_unchanged(run_cli, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", [course_record(i) for i in range(4)])
    first = run_cli("ingest", str(feed))
    assert first.exit_code == 0, first.output
    assert "new 4, changed 0, unchanged 0" in first.stdout
    again = run_cli("ingest", str(feed))
    assert "new 0, changed 0, unchanged 4, withdrawn 0, rejected 0" in again.stdout


def test_a_changed_record_is_recorded_as_changed_with_history(run_cli, db: Path, tmp_path: Path) -> None:
    run_cli("ingest", str(write_jsonl(tmp_path / "a.jsonl", [course_record(1), course_record(2)])))
    newer = [course_record(1, start_dates=["2027-09-01"]), course_record(2)]
    result = run_cli("ingest", str(write_jsonl(tmp_path / "b.jsonl", newer)))
    assert "new 0, changed 1, unchanged 1" in result.stdout
    with open_catalogue(db) as catalogue:
        assert [str(d) for d in catalogue.course("test-1").start_dates] == ["2027-09-01"]
        assert catalogue.history("test-1")[0]["previous"]["start_dates"] == ["2027-02-03", "2027-09-01"]


def test_bad_records_are_reported_by_line_and_nothing_is_written(run_cli, db: Path, tmp_path: Path) -> None:
    run_cli("ingest", str(write_jsonl(tmp_path / "ok.jsonl", [course_record(0)])))
    before = exported(run_cli)
    feed = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            course_record(1),
            {"url": "https://x.example/k"},  # no title
            '{"title": "Brudt linje", ',  # not JSON
            course_record(4, price_dkk="gratis"),
            course_record(5, form="hybrid"),
            course_record(6, colour="blue"),
            {"title": "Hverken url eller id"},
            course_record(8, start_dates=["2027-02-31"]),
        ],
    )
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1
    err = _by_line(result.stderr)
    assert "bad.jsonl:2: title: missing" in err
    assert "bad.jsonl:3: not valid JSON" in err
    assert "bad.jsonl:4: price_dkk: 'gratis' is not a number written the Danish way" in err
    assert "bad.jsonl:5: form: 'hybrid' is not one of fysisk, online, blended, rekvirerbar\n" in err
    assert "bad.jsonl:6: unknown field(s) colour; the record's fields are id, url, provider, title," in err
    assert "bad.jsonl:7: a course needs a url or a provider id" in err
    assert "bad.jsonl:8: start_dates.0:" in err
    assert "7 record(s) rejected; nothing was written" in err
    assert exported(run_cli) == before


def test_whole_programmes_up_to_360_ects_are_accepted_and_nonsense_is_not(run_cli, db: Path, tmp_path: Path) -> None:
    # A professionsbachelor is 210 ECTS, a bachelor + kandidat 300: real programmes, not typos.
    programmes = [
        course_record(1, course_type="grunduddannelse", ects=210),
        course_record(2, course_type="grunduddannelse", ects=300),
        course_record(3, course_type="grunduddannelse", ects=360),
    ]
    result = run_cli("ingest", str(write_jsonl(tmp_path / "programmes.jsonl", programmes)))
    assert result.exit_code == 0, result.output
    assert "new 3, changed 0, unchanged 0" in result.stdout
    with open_catalogue(db) as catalogue:
        assert [catalogue.course(f"test-{n}").ects for n in (1, 2, 3)] == [210.0, 300.0, 360.0]
    before = exported(run_cli)

    nonsense = [course_record(1, ects=400), course_record(4, ects=0), course_record(5, ects=-10)]
    result = run_cli("ingest", str(write_jsonl(tmp_path / "nonsense.jsonl", nonsense)))
    assert result.exit_code == 1
    err = _by_line(result.stderr)
    assert "nonsense.jsonl:1: ects: 400 must be at most 360" in err
    assert "nonsense.jsonl:2: ects: 0 must be above 0" in err
    assert "nonsense.jsonl:3: ects: -10 must be above 0" in err
    assert "3 record(s) rejected; nothing was written" in result.stderr
    assert exported(run_cli) == before
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-1").ects == 210.0


def test_allow_partial_writes_the_good_records_in_one_run(run_cli, db: Path, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "mixed.jsonl", [course_record(1), {"id": "x"}, course_record(3)])
    result = run_cli("ingest", "--allow-partial", str(feed))
    assert result.exit_code == 0
    assert "new 2, changed 0, unchanged 0, withdrawn 0, rejected 1" in result.stdout
    with open_catalogue(db) as catalogue:
        run = catalogue.runs(1)[0]
        assert run["counts"]["rejected"] == 1 and run["errors"][0]["where"] == "mixed.jsonl:2"


def test_excel_semicolon_csv_with_bom_and_windows_1252_is_read(run_cli, db: Path, tmp_path: Path) -> None:
    rows = [
        "id;title;provider;price_dkk;ects;start_dates;form;location",
        "k1;Jobafklaring og ressourceforløb;Kursus Ø;4995,50;;\"2027-02-01;2027-09-06\";fysisk;Århus",
        "k2;Virksomhedskonsulentens forhandlingsteknik;Kursus Ø;;10;;online;",
    ]
    utf8 = tmp_path / "feed.csv"
    utf8.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode("utf-8"))
    result = run_cli("ingest", str(utf8))
    assert result.exit_code == 0, result.output
    assert "new 2" in result.stdout
    with open_catalogue(db) as catalogue:
        k1 = catalogue.course("k1")
        assert (k1.price_dkk, k1.location, k1.provider) == (4995.5, "Århus", "Kursus Ø")
        assert [d.isoformat() for d in k1.start_dates] == ["2027-02-01", "2027-09-06"]
        assert catalogue.course("k2").ects == 10.0
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes("\r\n".join(rows).encode("cp1252"))
    result = run_cli("ingest", str(legacy))
    assert "new 0, changed 0, unchanged 2" in result.stdout
    assert "Windows-1252" in result.stderr
    unquoted = tmp_path / "unquoted.csv"
    unquoted.write_text(rows[0] + "\nk3;Kursus;X;;;2027-02-01;2027-09-06;fysisk;Odense\n", encoding="utf-8")
    result = run_cli("ingest", str(unquoted))
    assert result.exit_code == 1
    assert "unquoted.csv:2: 9 cells but the header has 8 columns" in result.stderr
    assert 'a start_dates cell with several dates must be quoted: "2027-02-01;2027-09-06"' in result.stderr


def test_csv_with_an_unknown_column_is_refused_whole(run_cli, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("id,title,pris\nk1,Kursus,4995\n", encoding="utf-8")
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1
    assert "line 1: unknown column(s) pris" in result.stderr


@pytest.mark.parametrize(("rows", "expected"), [
    # the quote is never closed: it swallowed every row after it into one title
    ('id,title,provider,price_dkk\nq1,"Kursus A,Udbyder,100\nq2,Kursus B,Udbyder,200\nq3,Kursus C,Udbyder,300\n',
     'broken.csv: line 2: a quote that opens here is not closed'),
    # Excel's ;-separated file, the quote closed rows later: one title of three rows
    ('id;title;provider;price_dkk\nq1;"Kursus A;Udbyder;100\nq2;Kursus B;Udbyder;200\nq3;Kursus C";Udbyder;300\n',
     "broken.csv: line 2: the title cell runs over several lines (from 'Kursus A;Udbyder;100')"),
])
def test_a_quote_left_open_refuses_the_feed_and_withdraws_nothing(run_cli, tmp_path: Path, rows: str, expected: str) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id,title,provider,price_dkk\nq1,Kursus A,Udbyder,100\nq2,Kursus B,Udbyder,200\nq3,Kursus C,Udbyder,300\n")
    assert run_cli("ingest", str(good), "--source", "S").exit_code == 0
    before = exported(run_cli)
    broken = tmp_path / "broken.csv"
    broken.write_text(rows, encoding="utf-8")
    result = run_cli("ingest", str(broken), "--source", "S", "--withdraw-missing")
    assert result.exit_code == 1 and expected in result.stderr
    assert exported(run_cli) == before  # nothing withdrawn, no title of three rows


def test_an_address_over_two_lines_is_one_cell(run_cli, tmp_path: Path) -> None:
    feed = tmp_path / "adresse.csv"
    feed.write_text('id,title,location\nk1,Jobafklaring,"Skolevej 1\n8000 Aarhus C"\n', encoding="utf-8")
    assert run_cli("ingest", str(feed)).exit_code == 0
    assert json.loads(exported(run_cli))["location"] == "Skolevej 1\n8000 Aarhus C"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_one_stray_byte_in_a_utf8_feed_refuses_it_rather_than_garble_every_letter(run_cli, tmp_path: Path, fmt: str) -> None:
    run_cli("ingest", str(SAMPLE_FEED))
    before = exported(run_cli, fmt)
    lines = before.encode("utf-8").split(b"\n")
    lines[3] = lines[3].replace(b"e", b"\xe6", 1)  # an æ saved as Windows-1252 into a UTF-8 file
    stray = tmp_path / f"feed.{fmt}"
    stray.write_bytes(b"\n".join(lines))
    result = run_cli("ingest", str(stray))
    assert result.exit_code == 1 and "line 4: byte" in result.stderr and "is not UTF-8, though the rest of the file is" in result.stderr
    assert exported(run_cli, fmt) == before  # every æ, ø and å as it was
    legacy = tmp_path / "excel.csv"  # a whole file in Excel's Danish default is still read, and said
    legacy.write_bytes("id,title\nk1,Støtte til sygemeldte\n".encode("cp1252"))
    read = run_cli("ingest", str(legacy))
    assert read.exit_code == 0 and "read as Windows-1252" in read.stderr


def test_another_providers_course_is_not_replaced_by_an_id_that_happens_to_be_alike(run_cli, tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{"id": "k1", "title": "Jobafklaring for sagsbehandlere", "provider": "Udbyder A"},
                                           {"id": "k2", "title": "Sygedagpengeloven", "provider": "Udbyder A"}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "k1", "title": "Excel for begyndere", "provider": "Udbyder B"},
                                           {"id": "b2", "title": "Word for begyndere", "provider": "Udbyder B"}])
    assert run_cli("ingest", str(a), "--source", "A").exit_code == 0
    before = exported(run_cli)
    refused = run_cli("ingest", str(b), "--source", "B")
    assert refused.exit_code == 1 and "b.jsonl:1: id 'k1' is that of a course by Udbyder A (source A)" in refused.stderr
    assert exported(run_cli) == before  # nothing written: A's course is as it was
    partial = run_cli("ingest", str(b), "--source", "B", "--allow-partial")
    assert partial.exit_code == 0 and "new 1," in partial.stdout and "rejected 1" in partial.stdout
    records = {r["id"]: r for r in map(json.loads, exported(run_cli).splitlines())}
    assert records["k1"]["title"] == "Jobafklaring for sagsbehandlere" and records["b2"]["provider"] == "Udbyder B"
    # the provider's own source may rename it (the same course, a new name)
    renamed = write_jsonl(tmp_path / "a2.jsonl", [{"id": "k1", "title": "Jobafklaring for sagsbehandlere", "provider": "A-Akademiet"}])
    assert run_cli("ingest", str(renamed), "--source", "A").exit_code == 0


def test_json_lines_in_a_file_named_as_text_is_told_to_be_named_jsonl(run_cli, tmp_path: Path) -> None:
    feed = tmp_path / "kurser.txt"  # .txt is read as CSV: Excel saves tab-separated text so
    feed.write_text('{"id": "k1", "title": "Kursus", "url": "https://k.example/1"}\n', encoding="utf-8")
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1
    assert "kurser.txt: line 1 is a JSON object, not a CSV header: name a JSON Lines feed .jsonl (on the command line, --format jsonl will do)" in result.stderr


def test_a_feed_written_as_one_json_array_is_read_and_the_json_feed_told_apart(run_cli, tmp_path: Path) -> None:
    records = [{"id": "k1", "title": "Jobafklaring", "url": "https://k.example/1"},
               {"id": "k2", "title": "Forvaltningsret", "url": "https://k.example/2", "ects": "ti"}]
    array = tmp_path / "kurser.json"
    array.write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
    result = run_cli("ingest", str(array), "--allow-partial")
    assert result.exit_code == 0, result.output
    assert "read as one JSON document: a record's number is its place in it" in result.output
    assert "kurser.json:2" in result.output and "ects" in result.output  # the second record, named by its place
    pretty = tmp_path / "et-kursus.json"
    pretty.write_text(json.dumps(records[0], indent=2), encoding="utf-8")
    assert run_cli("ingest", str(pretty)).exit_code == 0
    feed = tmp_path / "feed.json"
    run_cli("export", "--format", "json", "-o", str(feed))
    refused = run_cli("ingest", str(feed))
    assert refused.exit_code == 1 and "`fagmatch export --format jsonl` writes what ingest reads back" in refused.stderr
    served = tmp_path / "courses.json"  # the feed as /feed/courses.json serves it: one line
    served.write_text(json.dumps(json.loads(feed.read_text(encoding="utf-8"))), encoding="utf-8")
    refused = run_cli("ingest", str(served))
    assert refused.exit_code == 1 and "`fagmatch export --format jsonl` writes what ingest reads back" in refused.stderr


def test_export_then_ingest_is_lossless_in_both_formats(run_cli, tmp_path: Path) -> None:
    run_cli("ingest", str(SAMPLE_FEED))
    for fmt in ("jsonl", "csv"):
        original = exported(run_cli, fmt)
        dump = tmp_path / f"export.{fmt}"
        dump.write_text(original, encoding="utf-8")
        other_db = tmp_path / f"other-{fmt}.duckdb"
        from click.testing import CliRunner

        from service.cli import main

        runner = CliRunner()
        assert runner.invoke(main, ["--db", str(other_db), "ingest", str(dump)]).exit_code == 0
        again = runner.invoke(main, ["--db", str(other_db), "export", "--format", fmt]).stdout
        assert again == original


def test_withdraw_missing_marks_withdrawn_and_export_flags_them(run_cli, tmp_path: Path) -> None:
    run_cli("ingest", "--source", "udbyder", str(write_jsonl(tmp_path / "a.jsonl", [course_record(i) for i in range(3)])))
    result = run_cli(
        "ingest", "--source", "udbyder", "--withdraw-missing",
        str(write_jsonl(tmp_path / "b.jsonl", [course_record(0), course_record(1)])),
    )
    assert "withdrawn 1" in result.stdout
    records = [json.loads(line) for line in exported(run_cli).splitlines()]
    assert {r["id"]: r["withdrawn"] for r in records} == {"test-0": False, "test-1": False, "test-2": True}
    active = run_cli("export", "--active-only").stdout.splitlines()
    assert len(active) == 2


def test_export_to_a_file_and_errors_on_bad_arguments(run_cli, tmp_path: Path) -> None:
    run_cli("ingest", str(write_jsonl(tmp_path / "a.jsonl", [course_record(1)])))
    out = tmp_path / "out.csv"
    assert run_cli("export", "--format", "csv", "--output", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("id,url,provider,title")
    assert run_cli("export", "--format", "xml").exit_code == 2
    missing = run_cli("ingest", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 1 and "no such file" in missing.stderr
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    assert "holds no records" in run_cli("ingest", str(empty)).stderr
    unknown = tmp_path / "feed.xml"
    unknown.write_text("<x/>")
    assert "--format jsonl or --format csv" in run_cli("ingest", str(unknown)).stderr


def test_an_output_onto_the_catalogue_is_refused_and_the_catalogue_kept(run_cli, db: Path, tmp_path: Path) -> None:
    run_cli("ingest", str(write_jsonl(tmp_path / "a.jsonl", [course_record(1), course_record(2)])))
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "x", "title": "Jobsamtaler", "text": "Samtaler med ledige."}])
    for args in (["export", "--output", str(db)], ["export", "--format", "atom", "--output", f"{db}.wal"],
                 ["tag", "--input", str(items), "--output", str(db)]):
        refused = run_cli(*args)
        assert refused.exit_code == 1 and "that is the catalogue" in refused.stderr, args
    assert len(exported(run_cli).splitlines()) == 2  # still a catalogue, with its courses
    assert not Path(f"{db}.wal").exists()
    # nor may the tags replace the courses they were read from
    before = items.read_text(encoding="utf-8")
    refused = run_cli("tag", "--input", str(items), "--output", str(items))
    assert refused.exit_code == 2 and "--output is the --input file" in refused.stderr
    assert items.read_text(encoding="utf-8") == before
    bad_url = run_cli("export", "--format", "atom", "--base-url", "javascript:alert(1)")
    assert bad_url.exit_code == 2 and "is not the service's address" in bad_url.stderr


def test_the_installed_command_uses_fagmatch_db(tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.duckdb"
    feed = write_jsonl(tmp_path / "a.jsonl", [course_record(1)])
    env = {"FAGMATCH_DB": str(db), "PATH": str(Path(sys.executable).parent)}
    result = subprocess.run(["fagmatch", "ingest", str(feed)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert db.exists()
    status = subprocess.run(["fagmatch", "status"], env=env, capture_output=True, text=True)
    assert "courses: 1 (1 active, 0 withdrawn)" in status.stdout
    assert "ingest  ok" in status.stdout


def test_danish_amounts_are_read_as_danes_write_them_and_json_numbers_stay_numbers(
    run_cli, db: Path, tmp_path: Path
) -> None:
    # "." groups thousands and "," is the decimal mark; a point before anything but groups of three
    # digits is a decimal point, as English tools and fagmatch's own export write it.
    csv_feed = tmp_path / "danish.csv"
    csv_feed.write_text(
        "id;title;price_dkk;ects;duration_days\n"
        "k1;Jobafklaring;4.500;7,5;\n"
        "k2;Fleksjob;12.500;7.5;2,5\n"
        "k3;Sygedagpenge;4.500,50;;\n"
        "k4;Master i beskæftigelse;1.250.000;60;\n"
        "k5;Ressourceforløb;1.000,00;;\n"
        "k6;Virksomhedskontakt;4995,50;;\n"
        "k7;Samtaler;12 500;;\n"
        "k8;Eksporteret;4500.0;;0.125\n",
        encoding="cp1252",
    )
    result = run_cli("ingest", str(csv_feed))
    assert result.exit_code == 0, result.output
    jsonl_feed = write_jsonl(
        tmp_path / "danish.jsonl",
        [
            course_record(1, price_dkk="4.500", ects="7,5"),
            course_record(2, price_dkk=4.5),  # a JSON number is a number, not Danish text
            course_record(3, price_dkk="1.250.000", duration_days="0,5"),
        ],
    )
    result = run_cli("ingest", str(jsonl_feed))
    assert result.exit_code == 0, result.output
    with open_catalogue(db) as catalogue:
        got = {c.course_id: (c.price_dkk, c.ects, c.duration_days) for c in catalogue.courses()}
    assert got == {
        "k1": (4500.0, 7.5, None), "k2": (12500.0, 7.5, 2.5), "k3": (4500.5, None, None),
        "k4": (1250000.0, 60.0, None), "k5": (1000.0, None, None), "k6": (4995.5, None, None),
        "k7": (12500.0, None, None), "k8": (4500.0, None, 0.125),
        "test-1": (4500.0, 7.5, None), "test-2": (4.5, None, None), "test-3": (1250000.0, None, 0.5),
    }


def test_nonsense_or_ambiguous_amounts_name_line_and_field_and_nothing_is_written(
    run_cli, db: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "bad.csv"
    feed.write_text(
        "id;title;price_dkk;ects\n"
        "k1;Et godt kursus;4.500;7,5\n"
        "k2;Engelsk gruppering;1,250,000;\n"
        "k3;Rod;4.5,0;\n"
        "k4;Engelsk med decimaler;12,500.50;\n"
        "k5;Tusind ECTS;4.500;7.500\n"
        "k6;Videnskabelig notation;1e3;\n",
        encoding="utf-8",
    )
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1
    err = _by_line(result.stderr)
    assert "bad.csv:3: price_dkk: '1,250,000' is not a number written the Danish way" in err
    assert "bad.csv:4: price_dkk: '4.5,0' is not a number written the Danish way" in err
    assert "bad.csv:5: price_dkk: '12,500.50' is not a number written the Danish way" in err
    assert "bad.csv:6: ects: '7.500' reads as 7500 (\".\" groups thousands in Danish), more than the 360 ECTS" in err
    assert "bad.csv:7: price_dkk: '1e3' is not a number written the Danish way" in err
    assert "bad.csv:2" not in err
    assert "5 record(s) rejected; nothing was written" in err
    assert not db.exists()


def test_a_value_outside_the_schema_rejects_the_record_and_says_what_is_allowed(
    run_cli, db: Path, tmp_path: Path
) -> None:
    # docs/catalogue.md: a value the provider does not know is left empty; a value given must be one
    # the schema allows, or the record is rejected (never stored half, never guessed).
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "id;title;form;course_type\n"
        "k1;Jobafklaring;fysisk;kursus\n"
        "k2;Hybridforløb;hybrid;kursus\n"
        "k3;Workshop i fleksjob;;workshop\n"
        "k4;;online;\n"
        "k5;Ukendt form;;\n",
        encoding="utf-8",
    )
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1
    err = _by_line(result.stderr)
    assert "feed.csv:3: form: 'hybrid' is not one of fysisk, online, blended, rekvirerbar\n" in err
    assert "feed.csv:4: course_type: 'workshop' is not one of diplom, akademi, master, kursus, amu, grunduddannelse, other\n" in err
    assert "feed.csv:5: title: must not be empty\n" in err
    assert "3 record(s) rejected; nothing was written" in err
    result = run_cli("ingest", "--allow-partial", str(feed))
    assert result.exit_code == 0, result.output
    with open_catalogue(db) as catalogue:
        assert {c.course_id: c.form for c in catalogue.courses()} == {"k1": "fysisk", "k5": None}


def test_reingesting_the_catalogues_own_export_changes_nothing_and_revives_no_withdrawn_course(
    run_cli, db: Path, tmp_path: Path
) -> None:
    run_cli("ingest", "--source", "udbyder", str(write_jsonl(tmp_path / "a.jsonl", [course_record(i) for i in range(4)])))
    run_cli("ingest", "--source", "udbyder", "--withdraw-missing",
            str(write_jsonl(tmp_path / "b.jsonl", [course_record(0), course_record(1)])))
    for fmt in ("jsonl", "csv"):
        dump = tmp_path / f"export.{fmt}"
        assert run_cli("export", "--format", fmt, "-o", str(dump)).exit_code == 0
        again = run_cli("ingest", str(dump))
        assert again.exit_code == 0, again.output
        assert "new 0, changed 0, unchanged 4, withdrawn 0, rejected 0" in again.stdout
    with open_catalogue(db) as catalogue:
        assert catalogue.summary()["active"] == 2
        assert [h["change"] for h in catalogue.history("test-3")] == ["withdrawn"]
    # An edited export: one price changed. Only that course changes; the withdrawn stay withdrawn.
    dump = tmp_path / "export.csv"
    edited = dump.read_text(encoding="utf-8").replace("4995.0", "5495.0", 1)
    (tmp_path / "edited.csv").write_text(edited, encoding="utf-8")
    result = run_cli("ingest", str(tmp_path / "edited.csv"))
    assert "new 0, changed 1, unchanged 3, withdrawn 0" in result.stdout
    with open_catalogue(db) as catalogue:
        assert catalogue.summary()["active"] == 2
        assert catalogue.course("test-0").price_dkk == 5495.0


def test_a_record_saying_withdrawn_withdraws_an_active_course_and_keeps_a_changed_one_withdrawn(
    run_cli, db: Path, tmp_path: Path
) -> None:
    run_cli("ingest", str(write_jsonl(tmp_path / "a.jsonl", [course_record(i) for i in range(3)])))
    # test-1 is withdrawn with new content: counted as withdrawn (what the provider says), its content kept
    feed = [course_record(0, withdrawn=True), course_record(1, withdrawn=True, price_dkk=100), course_record(2)]
    result = run_cli("ingest", str(write_jsonl(tmp_path / "b.jsonl", feed)))
    assert "new 0, changed 0, unchanged 1, withdrawn 2" in result.stdout
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-0").withdrawn and catalogue.course("test-1").withdrawn
        assert catalogue.course("test-1").price_dkk == 100
        assert catalogue.summary()["active"] == 1
        row = catalogue.feed_row("test-1")
        assert row is not None and row["withdrawn_at"] is not None
        assert [h["change"] for h in catalogue.history("test-1")] == ["changed", "withdrawn"]
    # a course already withdrawn whose record changes stays withdrawn: that is a change
    feed = [course_record(1, withdrawn=True, price_dkk=200)]
    assert "new 0, changed 1, unchanged 0, withdrawn 0" in run_cli("ingest", str(write_jsonl(tmp_path / "b2.jsonl", feed))).stdout
    # The provider's next feed lists the course again, not withdrawn: it reappears.
    result = run_cli("ingest", str(write_jsonl(tmp_path / "c.jsonl", [course_record(0)])))
    assert "changed 1" in result.stdout
    with open_catalogue(db) as catalogue:
        assert not catalogue.course("test-0").withdrawn
        assert [h["change"] for h in catalogue.history("test-0")] == ["withdrawn", "reappeared"]


def test_withdraw_missing_warns_when_a_monthly_file_names_a_new_source_and_source_makes_it_work(
    run_cli, db: Path, tmp_path: Path
) -> None:
    december = write_jsonl(tmp_path / "kurser-dec.jsonl", [course_record(i) for i in range(3)])
    january = write_jsonl(tmp_path / "kurser-jan.jsonl", [course_record(0), course_record(1)])
    assert run_cli("ingest", str(december)).exit_code == 0
    result = run_cli("ingest", "--withdraw-missing", str(january))
    assert result.exit_code == 0 and "withdrawn 0" in result.stdout
    assert "warning: --withdraw-missing: the catalogue held no active course of source 'feed:kurser-jan.jsonl'" in result.stderr
    assert "the same --source NAME" in result.stderr
    assert "kept under another source: 'feed:kurser-dec.jsonl' (2)" in result.stderr
    # One source for every month's file: the course missing from January is withdrawn, without a warning.
    run_cli("ingest", "--source", "udbyder", str(december))
    again = run_cli("ingest", "--source", "udbyder", "--withdraw-missing", str(january))
    assert "withdrawn 0" in again.stdout and "another source" in again.stderr  # still stored under the old name
    other = tmp_path / "other.duckdb"
    from click.testing import CliRunner

    from service.cli import main

    runner = CliRunner()
    runner.invoke(main, ["--db", str(other), "ingest", "--source", "udbyder", str(december)])
    clean = runner.invoke(main, ["--db", str(other), "ingest", "--source", "udbyder", "--withdraw-missing", str(january)])
    assert "withdrawn 1" in clean.stdout and "warning" not in clean.stderr
    # a named source new to the catalogue is warned about without the advice for unnamed ones
    fresh = runner.invoke(main, ["--db", str(other), "ingest", "--source", "ny", "--withdraw-missing", str(january)])
    assert "held no active course of source 'ny'" in fresh.stderr and "feed:<file name>" not in fresh.stderr


def test_an_update_without_a_source_leaves_the_course_under_its_own_so_dropping_it_later_withdraws_it(
    run_cli, db: Path, tmp_path: Path
) -> None:
    """A provider's monthly feeds: January with --source, February's price change uploaded over HTTP
    (records without a source), March without the course. The course had moved to February's
    `api:` source, so March's --withdraw-missing left a dropped course on offer, and said nothing."""
    run_cli("ingest", "--source", "kattegat", str(write_jsonl(tmp_path / "jan.jsonl", [course_record(i) for i in range(3)])))
    february = write_jsonl(tmp_path / "feb.jsonl", [course_record(0, price_dkk=5495.0), course_record(1), course_record(2)])
    report = ingest_file(db, february, default_source="api:feb.jsonl")  # as POST /api/admin/ingest
    assert (report.changed, report.unchanged) == (1, 2)
    # so does a later file named otherwise, ingested without --source, that brings the course back changed
    run_cli("ingest", str(write_jsonl(tmp_path / "feb2.jsonl", [course_record(0, price_dkk=5595.0)])))
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-0").source == "kattegat" and catalogue.course("test-0").price_dkk == 5595.0
    march = run_cli("ingest", "--source", "kattegat", "--withdraw-missing",
                    str(write_jsonl(tmp_path / "mar.jsonl", [course_record(1), course_record(2)])))
    assert "withdrawn 1" in march.stdout and "warning" not in march.stderr
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-0").withdrawn
    # a new course from an upload gets the upload's source; a record's own source still moves a course
    ingest_file(db, write_jsonl(tmp_path / "new.jsonl", [course_record(7)]), default_source="api:new.jsonl")
    run_cli("ingest", str(write_jsonl(tmp_path / "own.jsonl", [course_record(1, source="kattegat-2027", price_dkk=1.0)])))
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-7").source == "api:new.jsonl"
        assert catalogue.course("test-1").source == "kattegat-2027"


def test_a_rejected_record_is_named_by_its_spreadsheet_row_and_id(run_cli, tmp_path: Path) -> None:
    """A description with line breaks takes one row in Excel and several lines in the file: the row is
    what the provider sees, the id what finds the record anywhere."""
    feed = tmp_path / "kurser.csv"
    feed.write_text("id;title;provider;url;description;price_dkk\n"
                    'k1;Kursus 1;P;https://p.dk/1;"Første linje\nanden linje\ntredje";1000\n'
                    "k2;Kursus 2;P;https://p.dk/2;Kort;gratis\n", encoding="utf-8")
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1
    assert f"rejected {feed}:5 (spreadsheet row 3, id k2): price_dkk: 'gratis' is not a number" in result.stderr
    # where line and row agree, the row is not said again
    jsonl = write_jsonl(tmp_path / "kurser.jsonl", [course_record(1, price_dkk="gratis")])
    assert f"rejected {jsonl}:1 (id test-1): price_dkk:" in run_cli("ingest", str(jsonl)).stderr


def test_a_date_in_a_year_no_course_runs_is_refused_and_one_stored_before_reads_as_unknown(
    run_cli, db: Path, tmp_path: Path
) -> None:
    """One start in 9999 (or a typo such as 2207) made every team analysis that met the course a 500."""
    feed = write_jsonl(tmp_path / "a.jsonl", [course_record(1, start_dates=["2027-02-03", "9999-06-01"]),
                                              course_record(2, application_deadline="1999-12-31")])
    result = run_cli("ingest", str(feed))
    assert result.exit_code == 1 and not db.exists()
    err = _by_line(result.stderr)
    assert "a.jsonl:1: start_dates: 9999-06-01 is not between 2000-01-01 and 2100-12-31: check the year" in err
    assert "a.jsonl:2: application_deadline: 1999-12-31 is not between 2000-01-01 and 2100-12-31" in err
    # a catalogue that stored such a date before the rule still opens, with the course as it was stored
    run_cli("ingest", str(write_jsonl(tmp_path / "b.jsonl", [course_record(3)])))
    from matcher.store import connect_duckdb

    con = connect_duckdb(str(db))  # changed by hand, as an older fagmatch could have stored it
    try:
        con.execute("UPDATE course SET start_dates = ['2027-02-03'::DATE, '9999-06-01'::DATE], "
                    "application_deadline = '2207-01-15' WHERE id = 'test-3'")
    finally:
        con.close()
    with open_catalogue(db) as catalogue:  # the typo is unknown; the rest of the course is as stored
        course = catalogue.course("test-3")
        assert course.start_dates == [dt.date(2027, 2, 3)] and course.application_deadline is None
    # and its export is a feed that ingests again (it was refused, "check the year")
    export = tmp_path / "export.jsonl"
    assert run_cli("export", "-o", str(export)).exit_code == 0
    result = run_cli("--db", str(tmp_path / "again.duckdb"), "ingest", str(export))
    assert result.exit_code == 0, result.output


def test_a_course_stored_under_a_session_id_keeps_its_id_when_its_url_loses_it(run_cli, db: Path, tmp_path: Path) -> None:
    """An older fagmatch kept `?sid=…` in a page's URL, so the page's id was that URL's. Dropping session
    ids gave the unchanged feed a new id: `new 2`, the stored courses withdrawn by --withdraw-missing,
    their tags, history and /kursus links lost."""
    import hashlib

    from matcher.store import connect_duckdb

    records = [{**course_record(n), "url": url} for n, url in
               ((1, "https://udbyder.example/kurser/jobsamtaler?sid=abc123"),
                (2, "https://udbyder.example/kurser/jura;jsessionid=0A1B2C"))]
    for record in records:
        del record["id"]  # a feed without ids, as a crawl's records
    feed = write_jsonl(tmp_path / "feed.jsonl", records)
    assert run_cli("ingest", "--source", "udbyder", str(feed)).exit_code == 0
    older = {record["url"]: "u" + hashlib.sha1(record["url"].encode()).hexdigest()[:16] for record in records}
    con = connect_duckdb(str(db))  # the ids and URLs as the older fagmatch stored them
    try:
        for n, (url, old_id) in enumerate(older.items(), start=1):
            con.execute("UPDATE course SET id = ?, url = ? WHERE title LIKE ?", [old_id, url, f"% {n}"])
    finally:
        con.close()

    result = run_cli("ingest", "--source", "udbyder", "--withdraw-missing", str(feed))
    assert result.exit_code == 0, result.output
    assert "new 0" in result.output and "withdrawn 0" in result.output, result.output
    with open_catalogue(db) as catalogue:
        active = [c.course_id for c in catalogue.courses(include_withdrawn=False)]
    assert sorted(active) == sorted(older.values())  # the same courses, under their ids
    again = run_cli("ingest", "--source", "udbyder", "--withdraw-missing", str(feed))
    assert "unchanged 2" in again.output and "new 0" in again.output, again.output


def test_a_csv_feed_cut_off_in_a_row_changes_nothing(run_cli, db: Path, tmp_path: Path) -> None:
    """A row cut after its location cell had been taken as the course with no start dates, target
    group or language: `changed 1`, and the course lost them."""
    run_cli("ingest", "--source", "udbyder", str(write_jsonl(tmp_path / "a.jsonl", [course_record(1), course_record(2)])))
    export = tmp_path / "export.csv"
    run_cli("export", "--format", "csv", "-o", str(export))
    header, first, second = export.read_text(encoding="utf-8").splitlines()[:3]
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join([header, first, second[: second.index("Odense") + len("Odense")]]) + "\n", encoding="utf-8")
    result = run_cli("ingest", "--source", "udbyder", str(cut))
    assert result.exit_code == 1 and "the row is cut short" in result.stderr and "nothing was written" in result.stderr
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-2").start_dates and catalogue.course("test-2").language == "da"


def test_danish_ja_and_nej_and_excel_s_sand_and_falsk_are_read_as_true_and_false(run_cli, db: Path, tmp_path: Path) -> None:
    """"yes" and "no" were read, but "ja" refused: a Danish feed says ja, and Danish Excel writes SAND."""
    feed = tmp_path / "kurser.csv"
    feed.write_text("id;title;provider;url;withdrawn\nk1;A;P;https://p.dk/1;FALSK\nk2;B;P;https://p.dk/2;SAND\n"
                    "k3;C;P;https://p.dk/3;nej\nk4;D;P;https://p.dk/4;Ja\n", encoding="utf-8-sig")
    assert run_cli("ingest", str(feed)).exit_code == 0
    jsonl = write_jsonl(tmp_path / "more.jsonl", [course_record(5, withdrawn="ja"), course_record(6, withdrawn="nej")])
    assert run_cli("ingest", str(jsonl)).exit_code == 0
    with open_catalogue(db) as catalogue:
        assert {c.course_id: c.withdrawn for c in catalogue.courses()} == {
            "k1": False, "k2": True, "k3": False, "k4": True, "test-5": True, "test-6": False}


def test_withdraw_missing_acts_on_the_sources_the_records_carry(run_cli, db: Path, tmp_path: Path) -> None:
    run_cli("ingest", "--source", "udbyder", str(write_jsonl(tmp_path / "a.jsonl", [course_record(i) for i in range(3)])))
    dump = tmp_path / "export.jsonl"
    run_cli("export", "-o", str(dump))
    kept = [line for line in dump.read_text(encoding="utf-8").splitlines() if '"test-2"' not in line]
    (tmp_path / "edited.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    result = run_cli("ingest", "--withdraw-missing", str(tmp_path / "edited.jsonl"))
    assert "new 0, changed 0, unchanged 2, withdrawn 1" in result.stdout and "warning" not in result.stderr
    with open_catalogue(db) as catalogue:
        assert catalogue.course("test-2").withdrawn


def test_withdraw_missing_with_rejected_records_says_it_withdrew_nothing(run_cli, tmp_path: Path) -> None:
    run_cli("ingest", "--source", "udbyder", str(write_jsonl(tmp_path / "a.jsonl", [course_record(i) for i in range(3)])))
    feed = write_jsonl(tmp_path / "b.jsonl", [course_record(0), course_record(1, form="hybrid")])
    result = run_cli("ingest", "--source", "udbyder", "--withdraw-missing", "--allow-partial", str(feed))
    assert "withdrawn 0, rejected 1" in result.stdout
    assert "warning: --withdraw-missing withdrew nothing: 1 record(s) were rejected" in result.stderr


def test_csv_dates_as_danish_excel_writes_them_are_read_and_doubtful_ones_refused_with_the_format(
    run_cli, db: Path, tmp_path: Path
) -> None:
    good = tmp_path / "excel.csv"
    good.write_text(
        "id;title;start_dates;application_deadline;withdrawn\n"
        'k1;Jobafklaring;"01-02-2027;15.03.2027";10-01-2027;false\n'
        "k2;Forhandling;2027-09-06;1.8.2027;\n",
        encoding="utf-8",
    )
    result = run_cli("ingest", str(good))
    assert result.exit_code == 0, result.output
    with open_catalogue(db) as catalogue:
        k1, k2 = catalogue.course("k1"), catalogue.course("k2")
        assert [d.isoformat() for d in k1.start_dates] == ["2027-02-01", "2027-03-15"]
        assert k1.application_deadline.isoformat() == "2027-01-10" and k2.application_deadline.isoformat() == "2027-08-01"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id;title;start_dates;application_deadline;withdrawn\n"
        "b1;Kursus;31-02-2027;;\n"  # no such day
        "b2;Kursus;02-13-2027;;\n"  # an American month-day: no month 13
        "b3;Kursus;01/02/2027;;\n"  # a slash: 1 February or 2 January?
        "b4;Kursus;01-02-27;;\n"  # a two-digit year
        "b5;Kursus;;2027-02-30;\n"
        "b6;Kursus;;;måske\n"
        "b7;Kursus;3. februar 2027;;\n",  # in words: named whole, not word by word
        encoding="utf-8",
    )
    result = run_cli("ingest", str(bad))
    assert result.exit_code == 1
    err = _by_line(result.stderr)
    assert "bad.csv:2: start_dates: '31-02-2027' is not a date: read as day-month-year, as Danish Excel writes it, there is no day 31 of month 2; write YYYY-MM-DD" in err
    assert "bad.csv:3: start_dates: '02-13-2027' is not a date: read as day-month-year" in err and "no day 2 of month 13" in err
    assert "bad.csv:4: start_dates.0: '01/02/2027' is not a date: write YYYY-MM-DD, e.g. 2027-02-01 (in CSV also DD-MM-YYYY or DD.MM.YYYY)" in err
    assert "bad.csv:5: start_dates.0: '01-02-27' is not a date: write YYYY-MM-DD" in err
    assert "bad.csv:6: application_deadline: '2027-02-30' is not a day of the calendar" in err
    assert "bad.csv:8: start_dates.0: '3. februar 2027' is not a date: write YYYY-MM-DD" in err and "'februar'" not in err
    assert "bad.csv:7: withdrawn: 'måske' is not true or false" in err
    assert "Input should" not in err
    jsonl = write_jsonl(tmp_path / "bad.jsonl", [course_record(1, start_dates=["01-02-2027"]), course_record(2, withdrawn="måske")])
    err = _by_line(run_cli("ingest", str(jsonl)).stderr)
    assert "bad.jsonl:1: start_dates.0: '01-02-2027' is not a date: write YYYY-MM-DD" in err
    assert "bad.jsonl:2: withdrawn: 'måske' is not true or false" in err


def test_export_for_excel_is_semicolon_separated_utf8_with_a_bom_and_ingests_back_unchanged(
    run_cli, db: Path, tmp_path: Path
) -> None:
    run_cli("ingest", str(SAMPLE_FEED))
    out = tmp_path / "kurser.csv"
    assert run_cli("export", "--format", "csv", "--excel", "-o", str(out)).exit_code == 0
    original = exported(run_cli)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid;url;provider;title;")  # Danish Excel: columns, and æ, ø, å intact
    assert "ø".encode() in data
    assert ';"2027-' in data.decode("utf-8-sig")  # a start_dates cell holding ';' is quoted
    # numbers as Danish Excel reads them: a decimal comma ("2.5" would open as 2 May), whole ones bare
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")}
    assert rows["bromatch-netvaerksmoeder-team"]["duration_days"] == "2,5"
    assert rows["nordhavn-dib-sygedagpenge-2027"]["price_dkk"] == "13900" and rows["nordhavn-dib-sygedagpenge-2027"]["ects"] == "10"
    again = run_cli("ingest", str(out))
    assert again.exit_code == 0 and "new 0, changed 0, unchanged 30, withdrawn 0, rejected 0" in again.stdout
    from click.testing import CliRunner

    from service.cli import main

    other = tmp_path / "other.duckdb"
    assert CliRunner().invoke(main, ["--db", str(other), "ingest", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["--db", str(other), "export"]).stdout == original  # lossless
    feed = run_cli("export", "--format", "feed-csv", "--excel").stdout
    assert feed.startswith("\ufeffid;url;provider;title;")
    feed_rows = {row["id"]: row for row in csv.DictReader(io.StringIO(feed.removeprefix("\ufeff")), delimiter=";")}
    assert feed_rows["bromatch-netvaerksmoeder-team"]["duration_days"] == "2,5"
    refused = run_cli("export", "--format", "json", "--excel")
    assert refused.exit_code == 2 and "--excel works with --format csv or feed-csv" in refused.stderr


def test_numbers_out_of_range_on_the_command_line_are_usage_errors_not_catalogue_errors(run_cli, tmp_path: Path) -> None:
    run_cli("ingest", str(write_jsonl(tmp_path / "a.jsonl", [course_record(1)])))
    for args in (["status", "--runs", "-1"], ["export", "--format", "json", "--per-page", "9" * 20],
                 ["export", "--format", "json", "--page", "9" * 20]):
        result = run_cli(*args)
        assert result.exit_code == 2 and "is not in the range" in result.stderr and "catalogue" not in result.stderr, args


def test_status_names_the_providers_with_most_courses_and_counts_the_rest(run_cli, tmp_path: Path) -> None:
    """A national catalogue's 3 880 providers made `status` print a line of 125 608 characters."""
    records = [course_record(i, provider=f"Udbyder {i % 40:02d}") for i in range(1, 121)]
    records += [course_record(200 + i, provider="Den store skole") for i in range(10)]
    assert run_cli("ingest", str(write_jsonl(tmp_path / "many.jsonl", records))).exit_code == 0
    line = next(line for line in run_cli("status").output.splitlines() if "by provider" in line)
    assert line.startswith("  by provider: Den store skole 10, ") and len(line) < 400
    assert line.endswith(", … and 26 more (--providers 0 names all)")
    every = next(line for line in run_cli("status", "--providers", "0").output.splitlines() if "by provider" in line)
    assert every.count(", ") == 40 and "more" not in every


def test_an_output_option_writes_to_stdout_a_pipe_or_a_link_and_never_replaces_them(run_cli, tmp_path: Path) -> None:
    """`-o /dev/null` had replaced the machine's /dev/null with a plain file (as root); a named pipe's
    reader got nothing; a link became a file and its target kept the old content; `-o -` wrote a
    file called "-"."""
    import stat
    import threading

    ingest_file(tmp_path / "catalogue.duckdb", write_jsonl(tmp_path / "feed.jsonl", [course_record(i) for i in range(3)]))
    whole = exported(run_cli)

    dash = run_cli("export", "-o", "-")
    assert dash.exit_code == 0 and dash.stdout == whole and not (Path.cwd() / "-").exists()

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    assert run_cli("export", "-o", str(pipe)).exit_code == 0
    reader.join(timeout=30)
    assert received == [whole.encode()] and stat.S_ISFIFO(pipe.stat().st_mode)

    target = tmp_path / "courses.jsonl"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    assert run_cli("export", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and target.read_text() == whole
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # who may read it is as it was


def test_ingest_reads_a_feed_piped_in_as_dash(run_cli, tmp_path: Path) -> None:
    """`fagmatch export -o - | fagmatch ingest -` ingested a stale file named "-" and ignored the pipe."""
    feed = "".join(json.dumps(course_record(i)) + "\n" for i in range(2))
    result = run_cli("ingest", "--format", "jsonl", "-", input=feed)
    assert result.exit_code == 0 and result.stdout.strip() == "standard input: new 2, changed 0, unchanged 0, withdrawn 0, rejected 0"
    with open_catalogue(tmp_path / "catalogue.duckdb") as reader:
        assert reader.summary()["courses"] == 2 and reader.runs(1)[0]["sources"] == ["feed:stdin"]
    bad = run_cli("ingest", "--format", "jsonl", "-", input="not json\n")
    assert bad.exit_code == 1 and "rejected standard input:1: not valid JSON" in bad.stderr
    assert run_cli("ingest", "-", input=feed).exit_code == 2  # the format cannot be told from a name


def test_allow_partial_with_no_valid_record_writes_nothing_and_fails(run_cli, tmp_path: Path) -> None:
    """A saved 502 page as the feed "succeeded" (exit 0), and the run was recorded as ok."""
    page = tmp_path / "feed.jsonl"
    page.write_text("<html>\n<body>502 Bad Gateway</body>\n</html>\n")
    result = run_cli("ingest", "--allow-partial", "--withdraw-missing", str(page))
    assert result.exit_code == 1 and "3 record(s) rejected; nothing was written (fix the feed: no record in it is valid)" in result.stderr
    assert not (tmp_path / "catalogue.duckdb").exists()


def test_ctrl_c_during_an_ingest_stops_it_with_nothing_written(tmp_path: Path) -> None:
    """Ctrl-C during an ingest was lost inside DuckDB (the feed was published, exit 0), or left the
    process spinning with the write lock held; a failed run's counts read as courses added."""
    import signal

    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, write_jsonl(tmp_path / "one.jsonl", [course_record(0)]))
    feed = write_jsonl(tmp_path / "big.jsonl", [course_record(i) for i in range(1, 4001)])
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "--db", str(db), "ingest", str(feed)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])
    assert process.stderr is not None
    for line in process.stderr:  # writing has begun
        if "1000/4000 records" in line:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, (stdout, stderr)
    assert "stopped: nothing was written, the catalogue is as it was" in stderr and "Traceback" not in stderr
    with open_catalogue(db) as reader:
        assert reader.summary()["courses"] == 1
        assert reader.runs(1)[0]["status"] == "failed"
    status = subprocess.run([sys.executable, "-m", "service.cli", "--db", str(db), "status"], capture_output=True,
                            text=True, cwd=Path(__file__).parents[1])
    assert re.search(r"ingest +failed .*: nothing kept \(it had: new \d+", status.stdout), status.stdout


def test_a_catalogue_path_written_as_a_folder_is_refused(run_cli, tmp_path: Path) -> None:
    """`--db newdir/` made a catalogue file named "newdir"."""
    result = run_cli("--db", f"{tmp_path}/newdir/", "status")
    assert result.exit_code == 2 and "names a folder" in result.output and not (tmp_path / "newdir").exists()


def test_an_ingest_waiting_for_another_writer_says_so_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    """An ingest queued behind a running write printed nothing for up to 10 minutes, and Ctrl-C
    (now a request to stop between records) must still end the wait."""
    import signal

    from matcher.store import write_catalogue
    from tests.conftest import held_elsewhere

    db = tmp_path / "catalogue.duckdb"
    ingest_file(db, write_jsonl(tmp_path / "one.jsonl", [course_record(0)]))
    feed = write_jsonl(tmp_path / "two.jsonl", [course_record(1)])
    with held_elsewhere(lambda: write_catalogue(db, "crawl")):  # a crawl, writing
        process = subprocess.Popen([sys.executable, "-m", "service.cli", "--db", str(db), "ingest", str(feed)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   cwd=Path(__file__).parents[1])
        assert process.stderr is not None
        first = process.stderr.readline()
        assert f"the catalogue is being written by pid {os.getpid()}; waiting for that run to end" in first, first
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1 and "stopped: nothing was written" in stderr, (stdout, stderr)
    with open_catalogue(db) as reader:
        assert reader.summary()["courses"] == 1
