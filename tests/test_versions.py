"""The lock, the conda environment made from it, the versions recorded with the outputs,
and the network layout that draws the same picture on every machine."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import networkx as nx
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from PIL import Image

from analysis.charts import networks
from analysis.project.versions import (LOCK, check_environment, environment_yml, installed_against_lock,
                               output_versions, parse_versions_line, read_lock, version_changes,
                               versions_line)

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_is_the_lock():
    """environment.yml pins exactly the lock's versions, in the lock's order
    (`python -m analysis environment` writes it; `make lock` calls that), in the shape
    `conda env create` reads: Python and pip from conda-forge, then pip requirements."""
    assert check_environment(ROOT) == []
    spec = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert spec["channels"] == ["conda-forge"]
    conda, pip = spec["dependencies"][:-1], spec["dependencies"][-1]["pip"]
    assert conda == ["python=3.11", "pip"]
    assert pip[-1] == "-e ."
    locked = {(canonicalize_name(n), v) for n, v, _ in read_lock(ROOT / LOCK)}
    found = set()
    for line in pip[:-1]:
        requirement = Requirement(line)
        (pin,) = requirement.specifier
        assert pin.operator == "==", line
        found.add((canonicalize_name(requirement.name), pin.version))
    assert found == locked


def test_environment_check_names_a_drifted_pin(tmp_path):
    (tmp_path / LOCK).write_text((ROOT / LOCK).read_text(encoding="utf-8"), encoding="utf-8")
    text = environment_yml(read_lock(ROOT / LOCK))
    pin = next(line for line in text.splitlines() if '"matplotlib==' in line)
    (tmp_path / "environment.yml").write_text(
        text.replace(pin, '      - "matplotlib==3.8.0"'), encoding="utf-8")
    problems = check_environment(tmp_path)
    assert any("missing" in p and "matplotlib==" in p for p in problems)
    assert any("not in the lock" in p and "matplotlib==3.8.0" in p for p in problems)


def _wanted(requirements: list[str], extras: dict[str, list[str]]) -> list[Requirement]:
    """pyproject's requirements with the project's own extras (`analysis[...]`) expanded."""
    found, todo = [], [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        if canonicalize_name(requirement.name) == "analysis":
            todo += [Requirement(r) for extra in requirement.extras for r in extras[extra]]
        else:
            found.append(requirement)
    return found


def test_lock_pins_every_requirement_within_its_bounds():
    """Every dependency pyproject.toml asks for (with the dev extras, as make installs) is
    pinned, hash-checked, at a version its bounds allow: a bound raised without `make lock`
    fails here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    pins = {canonicalize_name(name): version for name, version, _ in read_lock(ROOT / LOCK)}
    for requirement in _wanted(project["dependencies"] + extras["dev"], extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in {LOCK} -> run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"{LOCK} pins {name}=={pins[name]}, outside {requirement} -> run make lock"


def test_this_environment_has_the_locked_versions():
    """The environment running the tests was installed from the lock (make does that), so
    the outputs it compares were made with the versions they record."""
    assert installed_against_lock(ROOT) == []


def test_a_requirement_without_pin_or_hash_is_refused(tmp_path):
    lock = tmp_path / LOCK
    lock.write_text("# made by hand\npandas>=2.2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"requirements.lock:2: 'pandas>=2.2' is not an exact "
                                         r"pin with hashes -> regenerate"):
        read_lock(lock)
    lock.write_text("pandas==2.2.3\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r":1: 'pandas==2.2.3'"):
        read_lock(lock)


def test_versions_line_round_trip_and_changes():
    now = output_versions()
    assert now["python"].count(".") == 1  # the minor version only: patch releases draw alike
    assert {"matplotlib", "pandas", "jieba", "rjieba", "font"} <= set(now)
    assert parse_versions_line(versions_line(now)) == now
    old = {**now, "matplotlib": "3.8.0"}
    assert version_changes(old, now) == [f"made with matplotlib 3.8.0, now {now['matplotlib']}"]
    assert version_changes(now, now) == []
    assert parse_versions_line("") == {}


def test_figures_and_deck_record_their_versions():
    """Each committed PNG, the manifest and the deck's notes name the versions they were
    made with, and they are this environment's."""
    line = versions_line()
    for png in sorted((ROOT / "figures").glob("*.png")):
        with Image.open(png) as image:
            assert image.text.get("Versions") == line, png.name
    assert f"Made with {line}." in (ROOT / "figures" / "index.md").read_text(encoding="utf-8")
    from pptx import Presentation

    deck = Presentation(str(ROOT / "figures" / "deck.pptx"))
    notes = [slide.notes_slide.notes_text_frame.text for slide in deck.slides
             if slide.has_notes_slide]
    assert f"Made with {line}" in notes[0]
    pictures = [slide for slide in deck.slides
                if any(shape.shape_type == 13 for shape in slide.shapes)]
    assert pictures and all(f"Made with {line}." in slide.notes_slide.notes_text_frame.text
                            for slide in pictures)


# --- the network layout --------------------------------------------------------------------

def _reference_layout(graph, sweeps=500, tolerance=1e-6):
    """The stress layout in plain Python floats: what IEEE arithmetic gives on any
    processor, with no BLAS and no SIMD."""
    nodes = sorted(graph.nodes)
    n = len(nodes)
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    longest = max(d for row in lengths.values() for d in row.values())
    apart = float(longest + 1)
    hops = [[0.0 if a == b else float(lengths[a].get(b, apart)) for b in nodes] for a in nodes]
    weights = [[1.0 / (h * h) if h > 0 else 0.0 for h in row] for row in hops]
    x = [round(math.cos(2 * math.pi * i / n), 12) * apart / 2 for i in range(n)]
    y = [round(math.sin(2 * math.pi * i / n), 12) * apart / 2 for i in range(n)]
    for _ in range(sweeps):
        moved = 0.0
        for i in range(n):
            sx, sy = [], []
            for j in range(n):
                dx, dy = x[i] - x[j], y[i] - y[j]
                length = math.sqrt(dx * dx + dy * dy)
                scale = hops[i][j] / length if length > 0 else 0.0
                sx.append(weights[i][j] * (x[j] + scale * dx))
                sy.append(weights[i][j] * (y[j] + scale * dy))
            total = math.fsum(weights[i])
            new_x, new_y = math.fsum(sx) / total, math.fsum(sy) / total
            moved = max(moved, abs(new_x - x[i]), abs(new_y - y[i]))
            x[i], y[i] = new_x, new_y
        if moved < tolerance * apart:
            break
    mean_x, mean_y = math.fsum(x) / n, math.fsum(y) / n
    x = [v - mean_x for v in x]
    y = [v - mean_y for v in y]
    extent = max(max(map(abs, x)), max(map(abs, y)))
    return {node: (x[i] / extent, y[i] / extent) for i, node in enumerate(nodes)}


def test_network_layout_is_plain_ieee_arithmetic():
    """The layout equals, to the last bit, the same algorithm in plain Python floats: no
    BLAS kernel, thread count or vector width can move it (networkx's Kamada-Kawai, through
    scipy's L-BFGS-B and OpenBLAS, drew another network on another processor)."""
    graph = nx.les_miserables_graph()  # 77 nodes: more than the chart ever shows
    graph.add_edge("lonely", "pair")  # a second component
    graph = graph.subgraph(sorted(graph.nodes)[:40] + ["lonely", "pair"]).copy()
    found = networks.stress_layout(graph)
    expected = _reference_layout(graph)
    assert sorted(found) == sorted(expected)
    for node, (x, y) in expected.items():
        assert (float(found[node][0]), float(found[node][1])) == (x, y), node
    coords = [abs(c) for xy in expected.values() for c in xy]
    assert max(coords) == 1.0


def test_network_layout_follows_graph_distance():
    """Neighbours sit closer than nodes four hops apart."""
    graph = nx.path_graph([f"n{i}" for i in range(6)])
    pos = networks.stress_layout(graph)
    near = math.dist(pos["n0"], pos["n1"])
    far = math.dist(pos["n0"], pos["n4"])
    assert far > 3 * near
    assert networks.stress_layout(nx.Graph()) == {}


def test_figure_check_says_which_versions_moved(tmp_path):
    """A chart that differs from a baseline made with other versions names them."""
    from PIL import PngImagePlugin

    from analysis.publish.figcheck import compare_figures

    name = "03_topics_overall"
    (tmp_path / "figures").mkdir()
    (tmp_path / "tests" / "baseline").mkdir(parents=True)
    now = output_versions()

    def png(path, colour, versions):
        info = PngImagePlugin.PngInfo()
        info.add_text("Versions", versions_line(versions))
        Image.new("RGB", (60, 40), colour).save(path, pnginfo=info)

    png(tmp_path / "figures" / f"{name}.png", "white", now)
    png(tmp_path / "tests" / "baseline" / f"{name}.png", "black",
        {**now, "matplotlib": "3.8.0", "pandas": "2.2.0"})
    (problem,) = compare_figures(tmp_path)
    assert f"the baseline was made with matplotlib 3.8.0, now {now['matplotlib']}; " \
           f"made with pandas 2.2.0, now {now['pandas']}" in problem
    png(tmp_path / "tests" / "baseline" / f"{name}.png", "black", now)
    (problem,) = compare_figures(tmp_path)
    assert "made with" not in problem and "chart changed" in problem
