"""Command line: `python -m analysis ...` (also installed as `transcripts`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis.corpus import load_corpus
from analysis.errors import TranscriptError
from analysis.estimates.labels import SEED
from analysis.project.folder import Project, atomic_write

FRAMES = ("events", "speakers", "utterances", "units")


def _export(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else _project(args).output / "exports"
    if out.exists() and not out.is_dir():
        raise TranscriptError(out, "is a file, not a folder",
                              fix="give --out a folder (it is created if missing)")
    corpus = load_corpus(args.project, jobs=args.jobs)
    out.mkdir(parents=True, exist_ok=True)
    for name in FRAMES:
        frame = getattr(corpus, name)
        for fmt in args.format:
            path = out / f"{name}.{fmt}"
            data = (frame.to_csv(index=False).encode("utf-8") if fmt == "csv"
                    else frame.to_parquet(index=False))
            atomic_write(path, data)  # a failed export never leaves half a table
            print(f"wrote {path} ({len(frame)} rows)")
    return 0


def _summary(args: argparse.Namespace) -> int:
    corpus = load_corpus(args.project, jobs=args.jobs)
    table = corpus.utterances.pivot_table(index="event_id", columns="kind", values="seq",
                                          aggfunc="size", fill_value=0)
    print(corpus)
    print(table.to_string())
    return 0


def _report(args: argparse.Namespace) -> int:
    from analysis.publish.report import run

    return run(_project(args), jobs=args.jobs, html=args.html, only=args.only)


def _project(args: argparse.Namespace) -> Project:
    """The project the notebooks chart (`--project`, else $ANALYSIS_PROJECT, else the
    example); made absolute and exported, since the notebooks run in another folder."""
    chosen = args.project or os.environ.get("ANALYSIS_PROJECT")
    if chosen:
        os.environ["ANALYSIS_PROJECT"] = str(Path(chosen).resolve())
    return Project.find()


def _lab(args: argparse.Namespace) -> int:
    """JupyterLab on the project's notebooks: the repository's for the example, the executed
    copies under <project>/output/notebooks/ for any other (so saving one never writes a
    project's quotes into the repository)."""
    project = _project(args)
    folder = project.notebooks_dir
    if not folder.is_dir():
        raise TranscriptError(folder, "no executed notebooks for this project yet",
                              fix="run `make run` (or `python -m analysis report`) first")
    os.execv(sys.executable, [sys.executable, "-m", "jupyterlab", str(folder)])
    return 0  # pragma: no cover - execv does not return


def _init(args: argparse.Namespace) -> int:
    from analysis.project.folder import init_project

    project = init_project(Path(args.folder), empty=args.empty)
    print(f"created project {project.root}: events.yaml, transcripts/, codebook/ "
          f"({'empty codebook' if args.empty else 'the shipped AI-industry codebook'}); "
          f"next: python -m analysis --project {project.root} add FILES...")
    return 0


def _slides(args: argparse.Namespace) -> int:
    from analysis.publish.export import export_all

    result = export_all(_project(args))
    print(f"{result['figures']} figures: " + ", ".join(str(p) for p in result["written"]))
    if args.pdf:
        from analysis.publish.export import deck_pdf

        deck = next(p for p in result["written"] if p.suffix == ".pptx")
        print(f"rendered through LibreOffice: {deck_pdf(deck, args.pdf)}")
    return 0


def _environment(args: argparse.Namespace) -> int:
    from analysis.project.folder import workspace_root
    from analysis.project.versions import ENVIRONMENT, LOCK, environment_yml, read_lock

    root = workspace_root()
    pins = read_lock(root / LOCK)
    atomic_write(root / ENVIRONMENT, environment_yml(pins))
    print(f"wrote {ENVIRONMENT}: the {len(pins)} pins of {LOCK}")
    return 0


def _baselines(args: argparse.Namespace) -> int:
    from analysis.publish.figcheck import refresh_baselines

    project = _project(args)
    if not project.is_example:
        raise TranscriptError(project.root, "baselines are the example project's charts",
                              fix="run `make baselines` without ANALYSIS_PROJECT or --project")
    written = refresh_baselines(project.output)
    print(f"{len(written)} baseline images refreshed under tests/baseline/")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from analysis.corpus import load_corpus
    from analysis.validation.coding import fit
    from analysis.validation.report import report
    from analysis.project.folder import Project

    if args.fit:
        print(f"wrote {fit(Project.of(args.project).root)}")
    corpus = load_corpus(args.project)
    if args.calibrate:
        from analysis.estimates.calibration import calibrate
        from analysis.estimates.shares import project_labels

        labels = project_labels(corpus)
        if not labels:
            raise TranscriptError(corpus.root / "evaluation", "no labelled units to calibrate on",
                                  fix="label units into evaluation/labels.yaml (format of "
                                      "tests/data/units_eval/gold.yaml)")
        source = ("the example project's evaluation set" if corpus.project.is_example
                  else "this project's evaluation/")
        for path in calibrate(corpus, labels, source=f"{len(labels)} units of {source}"):
            print(f"wrote {path}")
        from analysis.coding import stance_cues
        from analysis.estimates.stances import fit_project_stance_model

        try:
            written = fit_project_stance_model(corpus, stance_cues(corpus.root))
        except ValueError as err:
            print(f"stance model not refitted: {err}")
        else:
            for path in written:
                print(f"wrote {path}")
        return 0
    if args.curve:
        from analysis.validation.speakers import curves
        from analysis.validation.coding import dev_dir

        spec = dev_dir(corpus) / "attribution_curves.yaml"
        if not spec.is_file():
            raise TranscriptError(spec, "no learning curves described for this project",
                                  fix="list transcripts as in tests/data/attribution_curves.yaml")
        table = curves(spec)
        print("Attribution learning curves: k lines labelled at random (mean of 5 seeds) or "
              "as suggested; accuracy and coverage at the shipped threshold on the other "
              "lines, accuracy_all at full coverage, ece = calibration error.")
        print(table.to_string(index=False))
        return 0
    print(report(corpus))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from analysis.validation.sample import draw_validation, import_labels

    corpus = load_corpus(args.project)
    if args.action == "draw":
        try:
            n = int(args.what)
        except ValueError:
            raise TranscriptError(args.what, "is not a number of units",
                                  fix="write: validate draw 60") from None
        drawn = draw_validation(corpus, n, seed=args.seed)
        print(f"drew {len(drawn)} units (draw {drawn['draw'].iloc[0]}) into "
              f"{corpus.root / 'evaluation' / 'sample.yaml'}; label them, then "
              "`validate import FILE.csv` and `evaluate --calibrate`")
    else:
        print(f"wrote {import_labels(corpus, Path(args.what))}")
    return 0


def _label(args: argparse.Namespace) -> int:
    from analysis.explorer.label import run

    run(args.project, args.event)
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from analysis.ingest.inspect import inspect_file

    print(inspect_file(Path(args.file), encoding=args.encoding, parser=args.parser,
                       show=args.show))
    return 0


def _add(args: argparse.Namespace) -> int:
    from analysis.ingest.inspect import add_transcripts, expand_files

    files = expand_files(args.files)
    for line in add_transcripts(files, title=args.title, date=args.date, label=args.label,
                                series=args.series, organiser=args.organiser,
                                event_id=args.event_id, parser=args.parser,
                                encoding=args.encoding, format_=args.format,
                                project=args.project):
        print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Load the transcripts of a project folder (events.yaml, transcripts/, "
                    "codebook/) and work with the events, speakers and utterances tables.")
    parser.add_argument("--project", "--seeds", dest="project", default=None,
                        help="project folder (default: $ANALYSIS_PROJECT, else the working "
                             "folder or a parent when it is a project, else the nearest seeds/, "
                             "the example project)")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create a project folder: events.yaml, "
                                           "transcripts/, codebook/")
    init.add_argument("folder", help="the new project's folder")
    init.add_argument("--empty", action="store_true",
                      help="start with an empty codebook instead of the shipped AI-industry one")
    init.set_defaults(run=_init)
    export = commands.add_parser("export", help="write the events, speakers, utterances and units tables as CSV and/or Parquet")
    export.add_argument("--out", default=None,
                        help="output folder (default: the project's output folder's exports/: "
                             "exports/ for the example, <project>/output/exports/ for others)")
    export.add_argument("--format", nargs="+", choices=("csv", "parquet"),
                        default=["csv", "parquet"], help="file formats (default: both)")
    export.set_defaults(run=_export)
    summary = commands.add_parser("summary", help="load the project and print utterance counts")
    summary.set_defaults(run=_summary)
    for command in (export, summary):
        command.add_argument("--jobs", type=int, default=None,
                             help="processes parsing the transcripts not in the cache "
                                  "(default: every core; 1: one process)")
    report = commands.add_parser("report", help="check the project, then execute every notebook "
                                               "into its output folder (the example: notebooks/ and "
                                               "figures/ in place; any other: <project>/output/)")
    report.add_argument("--jobs", type=int, default=None,
                        help="notebooks run at once (default: 2, or 1 on a single core)")
    report.add_argument("--html", action="store_true",
                        help="also render the executed notebooks as HTML under build/html/ of "
                             "the output folder")
    report.add_argument("--only", nargs="+", default=None,
                        help="run only notebooks whose file names contain these strings")
    report.set_defaults(run=_report)
    lab = commands.add_parser("lab", help="JupyterLab on the project's notebooks (the example's "
                                         "notebooks/, or <project>/output/notebooks/)")
    lab.set_defaults(run=_lab)
    slides = commands.add_parser("slides", help="rebuild index.md, index.csv and deck.pptx from "
                                               "the figures on disk in the output folder")
    slides.add_argument("--pdf", metavar="FOLDER", type=Path,
                        help="also render the deck through LibreOffice (soffice) into FOLDER, "
                             "with the charts' Chinese font standing in for the deck's, to look "
                             "at it as an audience would")
    slides.set_defaults(run=_slides)
    baselines = commands.add_parser("baselines", help="accept the current figures as the "
                                                     "chart regression baselines (on purpose)")
    baselines.set_defaults(run=_baselines)
    environment = commands.add_parser("environment", help="write environment.yml (conda) "
                                                         "from requirements.lock")
    environment.set_defaults(run=_environment)
    evaluate = commands.add_parser("evaluate", help="topic and stance accuracy on units labelled "
                                                   "by readers (both halves, both corpora)")
    evaluate.add_argument("--fit", action="store_true",
                          help="first fit the learned salience layer on the tuning half and "
                               "write codebook/topic_model.yaml")
    evaluate.add_argument("--calibrate", action="store_true",
                          help="instead: fit the topic calibration on the project's labelled "
                               "units and write codebook/calibration.yaml")
    evaluate.add_argument("--curve", action="store_true",
                          help="instead: the speaker-attribution learning curves of the "
                               "transcripts in attribution_curves.yaml (k labelled lines "
                               "chosen at random or by suggestion)")
    evaluate.set_defaults(run=_evaluate)
    inspect = commands.add_parser("inspect", help="detect a transcript's format and encoding "
                                                 "and show its first utterances")
    inspect.add_argument("file", help="the transcript file")
    inspect.add_argument("--parser", default="auto", help="parser to try (default: auto)")
    inspect.add_argument("--encoding", default=None, help="encoding (default: detected)")
    inspect.add_argument("--show", type=int, default=5, help="utterances to show (default 5)")
    inspect.set_defaults(run=_inspect)
    validate = commands.add_parser("validate", help="a validation sample for this project: draw "
                                                   "units to label, or import labels from CSV")
    validate.add_argument("action", choices=("draw", "import"))
    validate.add_argument("what", help="draw: how many units; import: the CSV file (unit_id, "
                                       "topics, stances, labeller)")
    validate.add_argument("--seed", type=int, default=SEED,
                          help="the draw's seed (default fixed: the same project draws the same)")
    validate.set_defaults(run=_validate)
    label = commands.add_parser("label", help="label speakers of an unlabelled event with the "
                                             "model's help: it shows the line to label next, "
                                             "saves each answer and refits")
    label.add_argument("event", help="event id (its events.yaml entry has `attribution:`)")
    label.set_defaults(run=_label)
    add = commands.add_parser("add", help="copy transcripts into the project unchanged and "
                                         "append their entries to events.yaml")
    add.add_argument("files", nargs="+", help="transcript files, folders or glob patterns")
    add.add_argument("--title", default=None,
                     help="the event's title (one file only; default: read from the file's "
                          "header or name)")
    add.add_argument("--date", default=None,
                     help="YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY (one file only; default: read "
                          "from the file's header or name)")
    add.add_argument("--label", default=None,
                     help="short name charts use (one file only; default: a short form of "
                          "the title)")
    add.add_argument("--series", default=None, help="the series the files belong to, e.g. "
                                                    "a podcast's name")
    add.add_argument("--organiser", default=None,
                     help="who ran or published the events (default: the series, else unknown)")
    add.add_argument("--event-id", default=None,
                     help="snake_case id (one file only; default: from the title)")
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
    except OSError as err:  # a full disk, a read-only folder: one line, not a traceback
        problem = TranscriptError(err.filename or ".", err.strerror or str(err),
                                  fix="free disk space, or fix the path or its permissions")
        print(f"error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
