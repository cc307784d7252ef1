"""Command line: `python -m analysis ...` (also installed as `transcripts`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .corpus import load_corpus
from .errors import TranscriptError

FRAMES = ("events", "speakers", "utterances")


def _export(args: argparse.Namespace) -> int:
    corpus = load_corpus(args.seeds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        frame = getattr(corpus, name)
        for fmt in args.format:
            path = out / f"{name}.{fmt}"
            if fmt == "csv":
                frame.to_csv(path, index=False, encoding="utf-8")
            else:
                frame.to_parquet(path, index=False)
            print(f"wrote {path} ({len(frame)} rows)")
    return 0


def _summary(args: argparse.Namespace) -> int:
    corpus = load_corpus(args.seeds)
    table = corpus.utterances.pivot_table(index="event_id", columns="kind", values="seq",
                                          aggfunc="size", fill_value=0)
    print(corpus)
    print(table.to_string())
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import run

    return run(_project_root(args), jobs=args.jobs, html=args.html, only=args.only)


def _project_root(args: argparse.Namespace) -> Path:
    from .corpus import find_seeds

    return Path(args.seeds).resolve().parent if args.seeds else find_seeds().parent


def _slides(args: argparse.Namespace) -> int:
    from .export import export_all

    result = export_all(_project_root(args))
    print(f"{result['figures']} figures: " + ", ".join(str(p) for p in result["written"]))
    return 0


def _baselines(args: argparse.Namespace) -> int:
    from .figcheck import refresh_baselines

    written = refresh_baselines(_project_root(args))
    print(f"{len(written)} baseline images refreshed under tests/baseline/")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .corpus import load_corpus
    from .evaluate import report

    print(report(load_corpus(args.seeds)))
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from .inspect import inspect_file

    print(inspect_file(Path(args.file), encoding=args.encoding, parser=args.parser,
                       show=args.show))
    return 0


def _add(args: argparse.Namespace) -> int:
    from .inspect import add_transcript

    root = Path(args.seeds) if args.seeds else None
    print(add_transcript(Path(args.file), title=args.title, date=args.date,
                         organiser=args.organiser, event_id=args.event_id, parser=args.parser,
                         encoding=args.encoding, format_=args.format, seeds=root))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Load the transcripts described in seeds/events.yaml and work with the "
                    "events, speakers and utterances tables.")
    parser.add_argument("--seeds", default=None,
                        help="seeds folder holding events.yaml and transcripts/ "
                             "(default: the project's seeds/)")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the three tables as CSV and/or Parquet")
    export.add_argument("--out", default="exports", help="output folder (default: exports/)")
    export.add_argument("--format", nargs="+", choices=("csv", "parquet"),
                        default=["csv", "parquet"], help="file formats (default: both)")
    export.set_defaults(run=_export)
    summary = commands.add_parser("summary", help="validate the seeds and print utterance counts")
    summary.set_defaults(run=_summary)
    report = commands.add_parser("report", help="execute every notebook in order (in place); "
                                               "the notebooks export their figures to figures/")
    report.add_argument("--jobs", type=int, default=None,
                        help="notebooks run at once (default: 2, or 1 on a single core)")
    report.add_argument("--html", action="store_true",
                        help="also render the executed notebooks as HTML under build/html/")
    report.add_argument("--only", nargs="+", default=None,
                        help="run only notebooks whose file names contain these strings")
    report.set_defaults(run=_report)
    slides = commands.add_parser("slides", help="rebuild figures/index.md, index.csv and "
                                               "deck.pptx from the figures on disk")
    slides.set_defaults(run=_slides)
    baselines = commands.add_parser("baselines", help="accept the current figures as the "
                                                     "chart regression baselines (on purpose)")
    baselines.set_defaults(run=_baselines)
    evaluate = commands.add_parser("evaluate", help="topic and stance accuracy on the labelled "
                                                   "development set (tests/data/)")
    evaluate.set_defaults(run=_evaluate)
    inspect = commands.add_parser("inspect", help="detect a transcript's format and encoding "
                                                 "and show its first utterances")
    inspect.add_argument("file", help="the transcript file")
    inspect.add_argument("--parser", default="auto", help="parser to try (default: auto)")
    inspect.add_argument("--encoding", default=None, help="encoding (default: detected)")
    inspect.add_argument("--show", type=int, default=5, help="utterances to show (default 5)")
    inspect.set_defaults(run=_inspect)
    add = commands.add_parser("add", help="copy a transcript into seeds/ unchanged and append "
                                         "its entry to seeds/events.yaml")
    add.add_argument("file", help="the transcript file")
    add.add_argument("--title", required=True, help="the event's title")
    add.add_argument("--date", required=True, help="YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY")
    add.add_argument("--organiser", default="unknown", help="who ran or published the event")
    add.add_argument("--event-id", default=None, help="snake_case id (default: from the title)")
    add.add_argument("--parser", default="auto", help="parser name (default: auto)")
    add.add_argument("--encoding", default=None, help="encoding if not UTF-8 (default: detected)")
    add.add_argument("--format", default=None, help="the format in words (default: detected)")
    add.set_defaults(run=_add)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except TranscriptError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
