"""nbval over the notebooks: when a notebook's outputs no longer match, say what to do."""


def pytest_terminal_summary(terminalreporter):
    failed = [r for r in terminalreporter.stats.get("failed", []) if ".ipynb" in r.nodeid]
    if failed:
        names = sorted({r.nodeid.split("::")[0] for r in failed})
        terminalreporter.write_line(
            f"nbval: outputs changed in {', '.join(names)}. If the change is intended (new "
            "transcripts, an edited codebook): `make run` re-executes the notebooks, "
            "`git diff notebooks/` shows what moved, `make baselines` accepts the new charts; "
            "commit the notebooks and tests/baseline/.")
